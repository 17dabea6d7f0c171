// The languages a run is limited to (--lang, or lang: in the config file), read as a list's
// language cell is: codes, locale tags or names. Apart from generate, so that validate and the
// config file read them without loading the renderer.
import { LANGUAGE_TABLE, languageOf } from '../data/words';
import { LetterMergeError } from '../errors';
import { isSupportedLanguage, supportedLanguages } from './languages';

/** The codes of a list of languages ("es,en", ["Español", "zh-Hans"]), each once; `where` names it in errors ("--lang"). */
export function parseLanguages(list: string[] | undefined, where = '--lang'): string[] | undefined {
  if (!list) return undefined;
  const words = list.flatMap((l) => l.split(',')).map((l) => l.trim()).filter(Boolean);
  if (words.length === 0) {
    throw new LetterMergeError('UNKNOWN_LANGUAGE', `${where} names no language`, { kind: 'usage', hint: `Give one or more of: ${supportedLanguages().join(', ')}, or leave ${where} out for all.` });
  }
  const codes: string[] = [];
  for (const w of words) {
    // As a list's language cell is read: a code, a locale tag (es-ES) or a name (Español, Spanish).
    const code = isSupportedLanguage(w.toLowerCase()) ? w.toLowerCase() : languageOf(w);
    if (code === undefined || !isSupportedLanguage(code)) {
      const near = LANGUAGE_TABLE.nearest(w);
      throw new LetterMergeError('UNKNOWN_LANGUAGE', `unknown language "${w}" in ${where}${near.length ? `; did you mean ${near.join(' or ')}?` : ''}`, {
        kind: 'usage',
        hint: `Known languages: ${supportedLanguages().join(', ')} (or their names, e.g. Español, French).`,
      });
    }
    if (!codes.includes(code)) codes.push(code);
  }
  return codes;
}
