/**
 * lettermerge as a library: the CLI is a thin shell over these functions.
 *
 *   import { generate } from 'lettermerge';
 *   const result = await generate({ csv: 'people.csv', out: 'letters', onProgress: (e) => … });
 */
export { generate } from './batch/generate';
export type {
  GenerateOptions,
  GenerateResult,
  ProgressEvent,
  ManifestEntry,
  Failure,
  OutputFile,
} from './batch/generate';
export type { ProducedLetter } from './batch/produce';
import type * as Produce from './batch/produce';

/** One letter in one language, as bytes: merge, lay out, PDF and e-mail. Loads the renderer on first use. */
export async function produceLetter(...args: Parameters<typeof Produce.produceLetter>): ReturnType<typeof Produce.produceLetter> {
  const { produceLetter: produce } = await import('./batch/produce');
  return produce(...args);
}
export { loadCampaign } from './campaign/campaign';
export type { Campaign } from './campaign/campaign';
export { readRecipients, CORE_COLUMNS } from './data/recipients';
export type { Recipient, RecipientsFile, RowProblem } from './data/recipients';
export { Merger } from './template/merge';
export type { MergedLetter } from './template/merge';
export { LetterMergeError, EXIT } from './errors';
export { supportedLanguages, GROUPS } from './i18n/languages';
export { DEFAULT_CAMPAIGN } from './paths';
