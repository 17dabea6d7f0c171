import { z } from 'zod';
import { LABEL_NAMES } from '../i18n/languages';
import { markupIn } from '../markup/markdown';

/**
 * The shape of campaign.yaml, checked with zod before anything reads it: an unknown key is an
 * error (with the closest known key as a hint), as are wrong types and missing values. Meanings
 * (a known language, a valid address, a readable file) are checked after the shape, in
 * campaign.ts.
 */

/** One line of text: a string or a number (a telephone number written bare), never a line break. */
export const oneLine = z
  .union([z.string(), z.number()], { error: 'must be text' })
  .transform(String)
  .refine((s) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s), 'must be one line of text, without line breaks or control characters');

/** A value that may differ by language: one line of text, or a map from language code to one. */
export const localised = z.union([oneLine, z.record(z.string(), oneLine)], { error: 'must be text, or a map from language code to text' });

/**
 * One line of text printed in every letter (the sender's name, the letterhead, a label): without
 * HTML or Markdown, which would be printed as typed ("Office of the<br>Secretary-General").
 */
const printedLine = oneLine.superRefine((s, ctx) => {
  const markup = markupIn(s);
  if (markup) ctx.addIssue({ code: 'custom', message: `holds ${markup}, which would be printed as typed in every letter: it is one line of plain text` });
});

/** A printed value that may differ by language (see printedLine). */
const printed = z.union([printedLine, z.record(z.string(), printedLine)], { error: 'must be text, or a map from language code to text' });

const path = z.string({ error: 'must be a file path, relative to the campaign folder' }).min(1, 'must be a file path, relative to the campaign folder');

/** A file attached to every e-mail: one path, or a path per language. */
const attachmentFile = z.union([path, z.record(z.string(), path)], { error: 'must be a file path, or a map from language code to file path' });

/**
 * An item of `attachments`: a path; a map from language code to path; or { file, name, groups }
 * to name the attachment and send it to some stakeholder groups only.
 */
const attachmentItem = z.union(
  [
    path,
    z.strictObject({
      file: attachmentFile,
      name: localised.optional(),
      groups: z.array(oneLine, { error: 'must be a list of stakeholder groups' }).min(1, 'must name at least one group').optional(),
    }),
    z.record(z.string(), path),
  ],
  { error: 'must be a file path, a map from language code to file path, or { file, name, groups }' },
);

/** A size in bytes: a number, or text such as "10 MB" or "500 kB". */
const byteSize = z.union([z.number(), z.string()], { error: 'must be a size, e.g. 10 MB' }).transform((v, ctx) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB)?\s*$/.exec(String(v));
  if (!m) {
    ctx.addIssue({ code: 'custom', message: 'must be a size, e.g. 10 MB' });
    return z.NEVER;
  }
  const unit = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 }[(m[2] ?? 'B') as 'B'];
  return Math.round(Number(m[1]) * unit);
});

/** One or more addresses: a list, or text with addresses separated by ";" or ",". */
const addressList = z.union([oneLine, z.array(oneLine)], { error: 'must be an address, or a list of addresses' });

const labelsShape = Object.fromEntries(LABEL_NAMES.map((name) => [name, printedLine.optional()])) as Record<string, z.ZodOptional<typeof printedLine>>;

/** A recipients file's columns by field: `email: "Correo electrónico"`. */
export const columnsMap = z.record(z.string(), z.string({ error: 'must be the header of a column' }), { error: 'must map field names to column headers, e.g. email: "Correo electrónico"' });

const wordMap = z.record(z.string(), z.string({ error: 'must be a code' }), { error: 'must map words to codes, e.g. "Gobierno nacional": government' });

/** What the words of a list's group, language and gender cells mean: `group: { "Gobierno nacional": government }`. */
export const valueMaps = z.strictObject({ group: wordMap.optional(), language: wordMap.optional(), gender: wordMap.optional() }, { error: 'must map group, language or gender to their words' });

export const campaignSchema = z.strictObject({
  id: oneLine,
  date: z.union([z.string(), z.date()], { error: 'must be a date, written YYYY-MM-DD' }).optional(),
  place: printed.optional(),
  languages: z.array(oneLine, { error: 'must be a list of language codes, e.g. [es, en]' }).min(1, 'must name at least one language'),
  default_language: oneLine.optional(),
  reference: printed.optional(),
  letterhead: z.strictObject({
    organization: printed,
    footer: printed.optional(),
  }),
  sender: z.strictObject({
    office: printed.optional(),
    name: printed,
    title: printed.optional(),
    signature: path.optional(),
  }),
  contact: z.strictObject({
    name: printed.optional(),
    telephone: oneLine.optional(),
    fax: oneLine.optional(),
    email: oneLine,
  }),
  email: z
    .strictObject({
      from: oneLine.optional(),
      cc: addressList.optional(),
      bcc: addressList.optional(),
      reply_to: oneLine.optional(),
      max_bytes: byteSize.optional(),
    })
    .optional(),
  attachments: z.array(attachmentItem, { error: 'must be a list of files to attach' }).optional(),
  labels: z.record(z.string(), z.strictObject(labelsShape), { error: 'must map language codes to label overrides' }).optional(),
  templates: z.record(z.string(), z.strictObject({ letter: path.optional(), email: path.optional() }), { error: 'must map language codes to { letter, email } paths' }).optional(),
  columns: columnsMap.optional(),
  values: valueMaps.optional(),
});

export type CampaignFile = z.output<typeof campaignSchema>;

type AnySchema = z.ZodType;

/** The keys an object in the schema knows, found by walking the schema along `keys`. */
export function knownKeys(schema: AnySchema, keys: (string | number)[]): string[] {
  let s: AnySchema | undefined = schema;
  const unwrap = (x: AnySchema): AnySchema => {
    let cur = x;
    for (;;) {
      if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable) cur = cur.unwrap() as AnySchema;
      else if (cur instanceof z.ZodPipe) cur = cur.in as AnySchema;
      else return cur;
    }
  };
  for (const key of keys) {
    if (!s) return [];
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, AnySchema>)[String(key)];
    else if (s instanceof z.ZodRecord) s = s.valueType as AnySchema;
    else if (s instanceof z.ZodArray) s = s.element as AnySchema;
    else if (s instanceof z.ZodUnion) s = (s.options as AnySchema[]).map(unwrap).find((o) => o instanceof z.ZodRecord || o instanceof z.ZodObject);
    else return [];
  }
  if (!s) return [];
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}
