import path from 'node:path';
import { loadCampaign } from '../campaign/campaign';
import type { Campaign } from '../campaign/campaign';
import { ENCODING_NOTICE, streamRecipients } from '../data/recipients';
import type { Encoding } from '../data/recipients';
import { LetterMergeError } from '../errors';
import { glyphError } from '../fonts/fonts';
import { DEFAULTS } from '../config';
import { Merger, missingColumns } from '../template/merge';
import type { MergedLetter } from '../template/merge';
import { attachmentsOf, emailTooLarge } from '../campaign/attachments';
import type { Recipient } from '../data/recipients';
import { problemOf } from '../problems';
import type { Problem } from '../problems';
import { identityProblems, readSigningSource } from '../sign/identity';

export type { Problem };

export interface ValidateOptions {
  csv: string;
  /** Campaign folder; the bundled sample when left out. */
  campaign?: string;
  /** The workbook's sheet to read; the first when left out. */
  sheet?: string;
  /** A signing certificate (PKCS#12) to check as generate --sign would use it. */
  sign?: { file: string; password: string };
}

export interface ValidateResult {
  csv: string;
  campaign: string;
  encoding?: Encoding;
  delimiter?: string;
  /** False when the campaign itself cannot be used: then the rows were not checked. */
  campaignUsable: boolean;
  rows: number;
  letters: number;
  problems: Problem[];
  notices: string[];
  /** Things that are probably mistakes but do not stop generate: a letter naming an annex nothing attaches, say. */
  warnings: string[];
  /** The signer, when a signing certificate was given and opens. */
  signer?: { name: string; notBefore: string; notAfter: string; fingerprint: string; warning?: string };
}

/**
 * Checks everything generate would, writes nothing, and reports every problem at once: the file's
 * encoding and syntax, its columns (including every field the templates use), each row's values
 * (language, group, e-mail, lengths, characters the fonts cannot draw) and duplicate ids.
 */
/** The checks of one good row, through the same functions as each letter of generate. */
function checkRow(r: Recipient, merger: Merger, csv: string, annexes: AnnexCheck): Problem[] {
  const at = { file: csv, line: r.line, id: r.id };
  const glyphs = glyphError(r.fields);
  if (glyphs) return [problemOf(glyphs, 'row', at)];
  const problems: Problem[] = [];
  for (const language of r.languages) {
    try {
      annexes.see(merger.merge(r, language), r.group);
      tooLarge(annexes.campaign, language, r.group);
    } catch (err) {
      if (!(err instanceof LetterMergeError)) throw err;
      problems.push(problemOf(err, 'row', { ...at, language }));
    }
  }
  return problems;
}

/**
 * Whether letters and their attachments agree: a letter that names an annex ("Annex: …") should
 * have a file attached, and a file attached should be named by the letter. Told once for each
 * language and stakeholder group where they do not.
 */
class AnnexCheck {
  readonly warnings: string[] = [];
  private readonly seen = new Set<string>();
  constructor(readonly campaign: Campaign) {}

  see(letter: MergedLetter, group: string): void {
    const key = `${letter.lang.code}\0${group}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const files = attachmentsOf(this.campaign.attachments, letter.lang.code, group);
    const who = `letters in ${letter.lang.code} to ${group}`;
    if (letter.annex && files.length === 0) {
      this.warnings.push(`${who} name an annex ("${letter.annex}") but nothing is attached to their e-mails; add it under attachments: in campaign.yaml`);
    } else if (!letter.annex && files.length > 0) {
      this.warnings.push(`${who} have ${files.map((f) => f.filename).join(', ')} attached, but name no annex; add annex: to the letter's front matter`);
    }
  }
}

/**
 * The e-mail's size is known only once it is made, but the files attached as they are give a floor
 * (in base64, with its line breaks): when that alone is over email.max_bytes, generate would fail
 * the row, so validate says so now.
 */
function tooLarge(campaign: Campaign, language: string, group: string): void {
  const floor = attachmentsOf(campaign.attachments, language, group)
    .filter((f) => f.source === 'file')
    .reduce((n, f) => n + Math.ceil(f.bytes.length / 3) * 4 * (78 / 76), 0);
  if (floor > campaign.email.maxBytes) throw emailTooLarge(floor, campaign.email.maxBytes, true);
}

/** A Markdown annex with a character no font has would fail every letter it goes with: found here, once. */
function annexGlyphProblems(campaign: Campaign): Problem[] {
  const problems: Problem[] = [];
  const done = new Set<string>();
  for (const a of campaign.attachments) {
    for (const f of Object.values(a.byLanguage)) {
      if (f.source !== 'markdown' || done.has(f.file)) continue;
      done.add(f.file);
      const err = glyphError({ [f.written]: Buffer.from(f.bytes).toString('utf8') });
      if (err) problems.push(problemOf(err, 'file', { file: f.file }));
    }
  }
  return problems;
}

/**
 * The signing certificate, checked as generate --sign checks it before writing anything: it opens
 * with the password, holds a private key and its certificate, and the certificate is valid today
 * (a warning when it expires within 30 days).
 */
async function checkSigning(sign: { file: string; password: string }, result: ValidateResult): Promise<void> {
  try {
    const { openSigningIdentity } = await import('../sign/signing');
    const identity = await openSigningIdentity(readSigningSource(sign.file, sign.password));
    const { error, warning } = identityProblems(identity, new Date());
    if (error) result.problems.push({ scope: 'file', code: 'SIGNING', message: error, file: sign.file });
    result.signer = { name: identity.name, notBefore: identity.notBefore.toISOString(), notAfter: identity.notAfter.toISOString(), fingerprint: identity.fingerprint };
    if (warning) result.signer.warning = warning;
  } catch (err) {
    if (!(err instanceof LetterMergeError) || err.kind === 'usage') throw err;
    result.problems.push(problemOf(err, 'file', { file: sign.file }));
  }
}

/**
 * Checks everything generate would, writes nothing, and reports every problem at once: the
 * campaign, the file's encoding and syntax, its columns (including every field the templates use),
 * each row's values (language, group, e-mail, lengths, characters the fonts cannot draw) and
 * duplicate ids.
 */
export async function validate(options: ValidateOptions): Promise<ValidateResult> {
  const dir = path.resolve(options.campaign ?? DEFAULTS.campaign);
  const result: ValidateResult = { csv: options.csv, campaign: dir, campaignUsable: true, rows: 0, letters: 0, problems: [], notices: [], warnings: [] };
  if (options.sign) await checkSigning(options.sign, result);
  let campaign: Campaign;
  let merger: Merger;
  try {
    campaign = loadCampaign(dir);
    merger = new Merger(campaign);
  } catch (err) {
    // A campaign that cannot be used is the problem to report; the rows cannot be checked against it.
    if (!(err instanceof LetterMergeError) || err.kind === 'usage') throw err;
    result.problems.push(problemOf(err, 'file', { file: path.join(dir, 'campaign.yaml') }));
    result.campaignUsable = false;
    return result;
  }
  result.problems.push(...annexGlyphProblems(campaign));
  const annexes = new AnnexCheck(campaign);
  let templatesFit = true;
  try {
    for await (const item of streamRecipients(options.csv, { collect: true, sheet: options.sheet })) {
      if ('header' in item) {
        result.encoding = item.header.encoding;
        result.delimiter = item.header.delimiter;
        if (item.header.encoding !== 'utf-8') result.notices.push(ENCODING_NOTICE[item.header.encoding]);
        const missing = missingColumns(campaign, item.header.columns, options.csv);
        result.problems.push(...missing);
        templatesFit = missing.length === 0;
        continue;
      }
      result.rows++;
      if ('fileProblem' in item) result.problems.push(problemOf(item.fileProblem, 'file', { file: options.csv }));
      else if ('problem' in item) result.problems.push(item.problem);
      else {
        const problems = templatesFit ? checkRow(item.recipient, merger, options.csv, annexes) : [];
        result.problems.push(...problems);
        if (problems.length === 0) result.letters += item.recipient.languages.length;
      }
    }
  } catch (err) {
    if (!(err instanceof LetterMergeError) || err.kind === 'usage') throw err;
    result.problems.push(problemOf(err, 'file', { file: options.csv }));
  }
  result.warnings.push(...annexes.warnings);
  result.problems.sort((a, b) => (a.file === options.csv ? 1 : 0) - (b.file === options.csv ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0));
  return result;
}
