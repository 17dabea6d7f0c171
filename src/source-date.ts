import { LetterMergeError } from './errors';

/** The last second SOURCE_DATE_EPOCH may name: the end of 2999, as for a campaign's letter date. */
const LAST_SECOND = Date.UTC(3000, 0, 1) / 1000 - 1;

/**
 * The time SOURCE_DATE_EPOCH fixes (reproducible builds, CI), in milliseconds since 1970 UTC;
 * undefined when it is not set. A value that is not a whole number of seconds up to the end of
 * 2999 is refused: ignored, it left the letters to a date from elsewhere without a word, and a
 * huge one stopped the run with an internal error.
 */
export function sourceDateEpoch(): number | undefined {
  const raw = process.env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return undefined;
  const seconds = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds <= LAST_SECOND)) {
    throw new LetterMergeError('USAGE', `SOURCE_DATE_EPOCH is "${raw}", which is not a time: it takes a whole number of seconds since 1970-01-01 UTC (at most ${LAST_SECOND})`, {
      kind: 'usage',
      hint: 'Unset it, or set it to a time, e.g. SOURCE_DATE_EPOCH=$(date +%s).',
    });
  }
  return seconds * 1000;
}
