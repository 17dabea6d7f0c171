/**
 * A campaign's values that may differ by language. Apart from campaign.ts, which reads and checks
 * campaign.yaml (and loads yaml and zod to do it), because worker threads need these and not those.
 */

/** A value that may differ by language: a plain string, or a map from language code to string. */
export type Localised = string | Record<string, string>;

/** The value in `lang`, else in `fallback`, else empty. */
export function localise(value: Localised | undefined, lang: string, fallback: string): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return value[lang] ?? value[fallback] ?? '';
}
