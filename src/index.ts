/**
 * lettermerge as a library. Every command of the CLI is one of these functions; the CLI only
 * parses flags, calls them, prints their results and decides the exit status.
 *
 *   import { generate, validate, preview, send, init } from 'lettermerge';
 *   const result = await generate({ csv: 'people.csv', out: 'letters', onProgress: (e) => … });
 */
export { generate } from './batch/generate';
export type { GenerateOptions, GenerateResult, ProgressEvent, Failure } from './batch/generate';
export type { ManifestEntry, OutputFile } from './batch/manifest';
export { readManifest } from './batch/manifest';
export { validate } from './batch/validate';
export type { ValidateOptions, ValidateResult, Problem } from './batch/validate';
export { preview } from './batch/preview';
export type { PreviewOptions, PreviewResult } from './batch/preview';
export { proof } from './batch/proof';
export type { ProofOptions, ProofResult } from './batch/proof';
export { send } from './batch/send';
export type { SendOptions, SendResult, SendProgress, SendFailure, SentRecord } from './batch/send';
export { init } from './batch/init';
export type { InitOptions, InitResult } from './batch/init';
export type { ProducedLetter } from './batch/produce';
import type * as Produce from './batch/produce';
import { loadRenderer } from './batch/renderer';

/** One letter in one language, as bytes: merge, lay out, PDF and e-mail. Loads the renderer on first use. */
export function produceLetter(...args: Parameters<typeof Produce.produceLetter>): ReturnType<typeof Produce.produceLetter> {
  return loadRenderer().produceLetter(...args);
}
export { loadCampaign } from './campaign/campaign';
export type { Campaign } from './campaign/campaign';
export { readRecipients, CORE_COLUMNS } from './data/recipients';
export type { Recipient, RecipientsFile, RowProblem } from './data/recipients';
export { Merger } from './template/merge';
export type { MergedLetter } from './template/merge';
export { LetterMergeError, EXIT, ERROR_CODES } from './errors';
export type { ErrorCode, ErrorKind, ErrorLocation } from './errors';
export { supportedLanguages, GROUPS } from './i18n/languages';
export { DEFAULT_CAMPAIGN } from './paths';
