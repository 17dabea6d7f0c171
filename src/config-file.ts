import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { columnsMap, knownKeys, valueMaps } from './campaign/schema';
import { yamlLine } from './campaign/yaml-lines';
import { didYouMean } from './text/suggest';
import { mappingProblem } from './data/mapping';
import { parseLanguages } from './i18n/language-list';
import { LetterMergeError } from './errors';
import { USER_PATH_PROBLEMS, readTextFile, userPath, userPathProblem } from './files';

// The config file's schema and reader, loaded only when there is a config file to read (see
// config.ts, which looks for it).

// A folder named by digits alone ("out: 2022") is a number to YAML: said so, rather than "must be a path".
const pathValue = z.string({ error: (iss) => (typeof iss.input === 'number' ? 'must be a path; YAML reads a name of digits alone as a number: write it in quotes, "2022"' : 'must be a path') }).superRefine((p, ctx) => {
  const problem = userPathProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: USER_PATH_PROBLEMS[problem] });
});

export const configSchema = z.strictObject({
  /** Campaign folder. */
  campaign: pathValue.optional(),
  /** Output folder of generate, and the folder send sends. */
  out: pathValue.optional(),
  /** Worker threads for generate. */
  jobs: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be 1 or more').optional(),
  /** Languages generate makes: a list or "es,en". */
  lang: z.union([z.string(), z.array(z.string())], { error: 'must be a language code or a list of them' }).optional(),
  /** The SMTP server of send, smtp://[user@]host[:port]; never with a password. */
  smtp: z.string({ error: 'must be an smtp:// or smtps:// address' }).optional(),
  /** At most this many messages a second. */
  rate: z.number({ error: 'must be a number above 0' }).positive('must be a number above 0').optional(),
  /** An extra certificate authority (PEM) for the SMTP server. */
  ca: pathValue.optional(),
  /** The PKCS#12 file generate signs letters with (its password never goes here). */
  sign: pathValue.optional(),
  /** A recipients list's columns by field (over the campaign's columns:). */
  columns: columnsMap.optional(),
  /** What the words of group, language and gender cells mean (over the campaign's values:). */
  values: valueMaps.optional(),
});

export type ConfigValues = z.output<typeof configSchema>;

export interface Config extends ConfigValues {
  /** The file the settings came from. */
  file: string;
}

/**
 * Names a user may write for a setting from the command line's options: those whose setting has
 * another name, and those that are not settings at all (they belong to one run, or, like a
 * password or --confirm, must never sit in a shared file).
 */
const OPTION_SETTINGS: Record<string, { setting: string } | { why: string }> = {
  map: { setting: 'columns' },
  languages: { setting: 'lang' },
  language: { setting: 'lang' },
  output: { setting: 'out' },
  threads: { setting: 'jobs' },
  password: { why: 'a password never goes in the config file: set LETTERMERGE_SMTP_PASSWORD (send) or LETTERMERGE_SIGN_PASSWORD (--sign), or type it when asked' },
  confirm: { why: 'send sends only when told so on its command line (--confirm), never from a file' },
  'resend-uncertain': { why: 'it is given on the command line of the send run that should resend (--resend-uncertain)' },
  'allow-insecure-auth': { why: 'it is given on the command line of the run that needs it (--allow-insecure-auth)' },
};
for (const option of ['limit', 'shard', 'resume', 'json', 'sheet', 'group', 'row', 'id', 'serve', 'port', 'watch', 'open', 'text', 'suggest']) {
  OPTION_SETTINGS[option] = { why: `--${option} belongs to one run: give it on the command line` };
}

function configError(file: string, line: number | undefined, message: string, hint?: string): LetterMergeError {
  return new LetterMergeError('CONFIG', message, { kind: 'usage', location: { file, line }, hint });
}

/** Reads and checks a config file; paths in it are made absolute against its folder. */
export function readConfig(file: string): Config {
  const text = readTextFile(file, { what: 'the config file', kind: 'usage', maxBytes: 256 * 1024 });
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors[0]) throw configError(file, lines.linePos(doc.errors[0].pos[0]).line, `the config file is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${doc.errors[0].message.split('\n')[0]}`);
  let data: unknown;
  try {
    data = (doc.toJS({ maxAliasCount: 100 }) as unknown) ?? {};
  } catch (err) {
    throw configError(file, 1, `the config file cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw configError(file, 1, `the config file holds ${Array.isArray(data) ? 'a list' : `a single ${typeof data === 'string' ? 'text' : 'value'}`}, not settings`, 'Write one setting a line, as name: value (out: letters, jobs: 2).');
  }
  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : String(issue.path[0] ?? '');
    const line = key ? yamlLine(doc, lines, [], key) : undefined;
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(configSchema, []);
      const option = Object.hasOwn(OPTION_SETTINGS, key.toLowerCase()) ? OPTION_SETTINGS[key.toLowerCase()] : undefined;
      if (option && 'setting' in option) {
        throw configError(file, line, `unknown setting "${key}": in the config file it is called "${option.setting}"`, `The settings are: ${known.join(', ')}.`);
      }
      if (option) throw configError(file, line, `"${key}" is not a setting: ${option.why}`, `The settings are: ${known.join(', ')}.`);
      const guess = didYouMean(key, known);
      throw configError(file, line, `unknown setting "${key}"${guess ? `; did you mean "${guess}"?` : ''}`, `The settings are: ${known.join(', ')}.`);
    }
    throw configError(file, line, `${key} ${issue.message.replace(/^Invalid input: /, '')}`);
  }
  const dir = path.dirname(path.resolve(file));
  const values = parsed.data;
  if (values.smtp && /^smtps?:\/\/[^@/]*:[^@/]*@/.test(values.smtp)) {
    throw configError(file, undefined, 'smtp holds a password; a config file is shared and kept in version control', 'Leave the password out and set LETTERMERGE_SMTP_PASSWORD.');
  }
  const badMapping = mappingProblem({ columns: values.columns, values: values.values });
  if (badMapping) {
    throw configError(file, yamlLine(doc, lines, badMapping.at, badMapping.key), badMapping.message, badMapping.hint);
  }
  // A language generate, proof and validate would take from here, checked here: a mistake in it was
  // told as "unknown language in --lang", a flag the run was not given.
  if (values.lang !== undefined) {
    try {
      parseLanguages(Array.isArray(values.lang) ? values.lang : [values.lang], 'lang');
    } catch (err) {
      if (!(err instanceof LetterMergeError)) throw err;
      throw configError(file, yamlLine(doc, lines, [], 'lang'), err.message, err.hint);
    }
  }
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, userPath(p)));
  return { ...values, campaign: abs(values.campaign), out: abs(values.out), ca: abs(values.ca), sign: abs(values.sign), file: path.resolve(file) };
}

