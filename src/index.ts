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
export { produceLetter } from './batch/produce';
export type { ProducedLetter } from './batch/produce';
export { loadCampaign } from './campaign/campaign';
export type { Campaign } from './campaign/campaign';
export { readRecipients, CORE_COLUMNS } from './data/recipients';
export type { Recipient, RecipientsFile, RowProblem } from './data/recipients';
export { Merger } from './template/merge';
export type { MergedLetter } from './template/merge';
export { LetterMergeError, EXIT } from './errors';
export { supportedLanguages, GROUPS } from './i18n/languages';
export { DEFAULT_CAMPAIGN } from './paths';
