import { format } from 'date-fns';
import { enGB, es } from 'date-fns/locale';
import type { Locale } from 'date-fns';

/** Stakeholder groups a recipient can belong to. */
export const GROUPS = [
  'government',
  'private-sector',
  'civil-society',
  'academia',
  'international-organization',
] as const;
export type Group = (typeof GROUPS)[number];

export type Gender = 'female' | 'male' | '';

/** The words a letter uses around its content; any of them can be overridden per campaign. */
export interface Labels {
  reference: string;
  contact: string;
  telephone: string;
  fax: string;
  email: string;
  to: string;
  subject: string;
  annex: string;
  closing: string;
  salutationFemale: string;
  salutationMale: string;
  salutationNeutral: string;
  salutationExcellencyFemale: string;
  salutationExcellencyMale: string;
  salutationExcellencyNeutral: string;
  /** Printed before the page number from page 2 on, e.g. "- 2 -". `{n}` is the number. */
  pageNumber: string;
}

export interface LanguageInfo {
  code: string;
  /** BCP 47 tag written to the PDF's /Lang and the e-mail's Content-Language. */
  tag: string;
  name: string;
  direction: 'ltr' | 'rtl';
  dateLocale: Locale;
  /** date-fns pattern for the date itself. */
  datePattern: string;
  /** How place and date are joined into the date line. */
  dateLine: (place: string, date: string) => string;
  /** The city the letters are sent from, in this language, keyed by its English name. */
  places: Record<string, string>;
  labels: Labels;
  groups: Record<Group, string>;
  /** Titles that call for "Excellency" rather than Sir/Madam (compared lower-case, without dots). */
  excellencyTitles: string[];
}

const spanish: LanguageInfo = {
  code: 'es',
  tag: 'es',
  name: 'Español',
  direction: 'ltr',
  dateLocale: es,
  datePattern: "d 'de' MMMM 'de' yyyy",
  dateLine: (place, date) => `${place}, ${date}`,
  places: { Geneva: 'Ginebra', 'New York': 'Nueva York', Vienna: 'Viena', Nairobi: 'Nairobi' },
  labels: {
    reference: 'Ref.:',
    contact: 'Contacto:',
    telephone: 'Teléfono:',
    fax: 'Fax:',
    email: 'Correo-e:',
    to: 'A:',
    subject: 'Asunto:',
    annex: 'Adj.:',
    closing: 'Le saluda atentamente,',
    salutationFemale: 'Muy Señora mía:',
    salutationMale: 'Muy Señor mío:',
    salutationNeutral: 'Muy Señora mía/Muy Señor mío:',
    salutationExcellencyFemale: 'Excelentísima Señora:',
    salutationExcellencyMale: 'Excelentísimo Señor:',
    salutationExcellencyNeutral: 'Excelentísima Señora/Excelentísimo Señor:',
    pageNumber: '- {n} -',
  },
  groups: {
    government: 'Gobiernos',
    'private-sector': 'Sector privado',
    'civil-society': 'Sociedad civil',
    academia: 'Instituciones académicas',
    'international-organization': 'Organizaciones internacionales',
  },
  excellencyTitles: ['excmo', 'excma', 'excmo sr', 'excma sra', 'su excelencia', 'se'],
};

const english: LanguageInfo = {
  code: 'en',
  tag: 'en-GB',
  name: 'English',
  direction: 'ltr',
  dateLocale: enGB,
  datePattern: 'd MMMM yyyy',
  dateLine: (place, date) => `${place}, ${date}`,
  places: { Geneva: 'Geneva', 'New York': 'New York', Vienna: 'Vienna', Nairobi: 'Nairobi' },
  labels: {
    reference: 'Ref.:',
    contact: 'Contact:',
    telephone: 'Tel.:',
    fax: 'Fax:',
    email: 'E-mail:',
    to: 'To:',
    subject: 'Subject:',
    annex: 'Annex:',
    closing: 'Yours faithfully,',
    salutationFemale: 'Dear Madam,',
    salutationMale: 'Dear Sir,',
    salutationNeutral: 'Dear Sir/Madam,',
    salutationExcellencyFemale: 'Excellency,',
    salutationExcellencyMale: 'Excellency,',
    salutationExcellencyNeutral: 'Excellency,',
    pageNumber: '- {n} -',
  },
  groups: {
    government: 'Governments',
    'private-sector': 'Private sector',
    'civil-society': 'Civil society',
    academia: 'Academia',
    'international-organization': 'International organizations',
  },
  excellencyTitles: ['he', 'his excellency', 'her excellency', 'excellency', 'h e'],
};

const LANGUAGES: Record<string, LanguageInfo> = { es: spanish, en: english };

export function supportedLanguages(): string[] {
  return Object.keys(LANGUAGES).sort();
}

export function isSupportedLanguage(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(LANGUAGES, code);
}

export function language(code: string): LanguageInfo {
  const info = isSupportedLanguage(code) ? LANGUAGES[code] : undefined;
  if (!info) throw new Error(`unsupported language "${code}"`);
  return info;
}

export function isGroup(value: string): value is Group {
  return (GROUPS as readonly string[]).includes(value);
}

/** Accepts the spellings people type into a spreadsheet; anything else is "unknown". */
export function normaliseGender(value: string): Gender {
  const v = value.trim().toLowerCase();
  if (['f', 'female', 'woman', 'w', 'mujer', 'femme'].includes(v)) return 'female';
  if (['m', 'male', 'man', 'hombre', 'homme'].includes(v)) return 'male';
  return '';
}

export function formatLetterDate(lang: LanguageInfo, date: Date): string {
  return format(date, lang.datePattern, { locale: lang.dateLocale });
}

export function isExcellency(lang: LanguageInfo, title: string): boolean {
  const t = title.toLowerCase().replace(/\./g, ' ').replace(/\s+/g, ' ').trim();
  return t !== '' && lang.excellencyTitles.some((e) => t === e || t.startsWith(`${e} `));
}

export function salutation(labels: Labels, lang: LanguageInfo, gender: Gender, title: string): string {
  const excellency = isExcellency(lang, title);
  if (gender === 'female') return excellency ? labels.salutationExcellencyFemale : labels.salutationFemale;
  if (gender === 'male') return excellency ? labels.salutationExcellencyMale : labels.salutationMale;
  return excellency ? labels.salutationExcellencyNeutral : labels.salutationNeutral;
}
