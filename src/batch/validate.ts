import path from 'node:path';
import { loadCampaign } from '../campaign/campaign';
import type { Campaign } from '../campaign/campaign';
import { ENCODING_NOTICE, streamRecipients } from '../data/recipients';
import type { Encoding } from '../data/recipients';
import { LetterMergeError } from '../errors';
import { glyphError } from '../fonts/fonts';
import { DEFAULT_CAMPAIGN } from '../paths';
import { Merger, templateFields } from '../template/merge';

export interface Problem {
  /** "file": the file as a whole cannot be used; "row": only that row fails. */
  scope: 'file' | 'row';
  code: string;
  file: string;
  line?: number;
  id?: string;
  field?: string;
  message: string;
  hint?: string;
}

export interface ValidateOptions {
  csv: string;
  /** Campaign folder; the bundled sample when left out. */
  campaign?: string;
}

export interface ValidateResult {
  csv: string;
  campaign: string;
  encoding?: Encoding;
  delimiter?: string;
  rows: number;
  letters: number;
  problems: Problem[];
  notices: string[];
}

function fromError(err: LetterMergeError, scope: Problem['scope'], fallbackFile: string): Problem {
  return {
    scope,
    code: err.code,
    file: err.location.file ?? fallbackFile,
    line: err.location.line,
    field: err.location.field,
    message: err.message,
    hint: err.hint,
  };
}

/**
 * Checks everything generate would, writes nothing, and reports every problem at once: the file's
 * encoding and syntax, its columns (including every field the templates use), each row's values
 * (language, group, e-mail, lengths, characters the fonts cannot draw) and duplicate ids.
 */
export async function validate(options: ValidateOptions): Promise<ValidateResult> {
  let campaign: Campaign;
  let merger: Merger;
  try {
    campaign = loadCampaign(options.campaign ?? DEFAULT_CAMPAIGN);
    merger = new Merger(campaign);
  } catch (err) {
    // A campaign that cannot be used is the problem to report; the rows cannot be checked against it.
    if (!(err instanceof LetterMergeError) || err.kind === 'usage') throw err;
    const dir = path.resolve(options.campaign ?? DEFAULT_CAMPAIGN);
    return { csv: options.csv, campaign: dir, rows: 0, letters: 0, problems: [fromError(err, 'file', path.join(dir, 'campaign.yaml'))], notices: [] };
  }
  const result: ValidateResult = { csv: options.csv, campaign: campaign.dir, rows: 0, letters: 0, problems: [], notices: [] };
  const fields = templateFields(campaign);
  let missingFields = 0;
  try {
    for await (const item of streamRecipients(options.csv, { collect: true })) {
      if ('header' in item) {
        result.encoding = item.header.encoding;
        result.delimiter = item.header.delimiter;
        if (item.header.encoding !== 'utf-8') result.notices.push(ENCODING_NOTICE[item.header.encoding]);
        for (const [name, where] of fields) {
          if (!item.header.columns.includes(name)) {
            missingFields++;
            result.problems.push({
              scope: 'file',
              code: 'TEMPLATE_FIELD',
              file: options.csv,
              line: 1,
              field: name,
              message: `the template ${where.file}:${where.line} uses "${name}", which is not a column of the file`,
              hint: `Add a "${name}" column, or correct the name in the template.`,
            });
          }
        }
        continue;
      }
      result.rows++;
      if ('fileProblem' in item) {
        result.problems.push(fromError(item.fileProblem, 'file', options.csv));
        continue;
      }
      if ('problem' in item) {
        const p = item.problem;
        result.problems.push({ scope: 'row', code: 'ROW', file: options.csv, line: p.line, id: p.id, field: p.field, message: p.message });
        continue;
      }
      // The same checks, through the same functions, as each letter of generate.
      const r = item.recipient;
      let ok = true;
      const glyphs = glyphError(r.fields);
      if (glyphs) {
        result.problems.push({ ...fromError(glyphs, 'row', options.csv), line: r.line, id: r.id });
        ok = false;
      } else if (missingFields === 0) {
        for (const language of r.languages) {
          try {
            merger.merge(r, language);
          } catch (err) {
            if (!(err instanceof LetterMergeError)) throw err;
            result.problems.push({ ...fromError(err, 'row', options.csv), line: r.line, id: r.id });
            ok = false;
          }
        }
      }
      if (ok) result.letters += r.languages.length;
    }
  } catch (err) {
    if (!(err instanceof LetterMergeError)) throw err;
    result.problems.push(fromError(err, 'file', options.csv));
  }
  result.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return result;
}
