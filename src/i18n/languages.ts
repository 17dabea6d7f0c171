// Each function and locale from its own module: date-fns/locale loads all of its hundred-odd
// locales, and the package index all of its functions, a tenth of a second at every start.
import { format } from 'date-fns/format';
import { ar } from 'date-fns/locale/ar';
import { enGB } from 'date-fns/locale/en-GB';
import { es } from 'date-fns/locale/es';
import { fr } from 'date-fns/locale/fr';
import { ru } from 'date-fns/locale/ru';
import { zhCN } from 'date-fns/locale/zh-CN';
import type { Locale } from 'date-fns/locale/types';
import { GENDER_TABLE } from '../data/words';

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

/** The writing system a language's letters are set in; it picks the primary font. */
export type Script = 'latin' | 'arabic' | 'han';

/**
 * The words a letter uses around its content; any of them can be overridden per campaign.
 * Salutations may hold {last_name} and {title}; with an empty last name the neutral form is used.
 */
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
  /** How the closing formula names the addressee ("Madame", "Monsieur", "Excellence"…). */
  addressFemale: string;
  addressMale: string;
  addressNeutral: string;
  addressExcellency: string;
  /** Printed at the top of page 2 on; `{n}` is the number. */
  pageNumber: string;
  /** The alternate text of the signature image, for screen readers; `{name}` is the signatory. */
  signatureAlt: string;
  /** The reason of a digital signature, shown by PDF readers; `{office}` is the sender's office. */
  signatureReason: string;
  /** The description of the digital signature field, for screen readers; `{name}` is the signer. */
  signatureField: string;
}

/** The labels with a place for a value, and what fills it ("- {n} -": the page number). */
export const LABEL_PLACEHOLDERS: Partial<Record<keyof Labels, { placeholder: string; value: string }>> = {
  pageNumber: { placeholder: '{n}', value: 'the page number' },
  signatureAlt: { placeholder: '{name}', value: "the signatory's name" },
  signatureReason: { placeholder: '{office}', value: "the sender's office" },
  signatureField: { placeholder: '{name}', value: "the signer's name" },
};

/** Every label name, in the order of the Labels interface. */
export const LABEL_NAMES = [
  'reference',
  'contact',
  'telephone',
  'fax',
  'email',
  'to',
  'subject',
  'annex',
  'closing',
  'salutationFemale',
  'salutationMale',
  'salutationNeutral',
  'salutationExcellencyFemale',
  'salutationExcellencyMale',
  'salutationExcellencyNeutral',
  'addressFemale',
  'addressMale',
  'addressNeutral',
  'addressExcellency',
  'pageNumber',
  'signatureAlt',
  'signatureReason',
  'signatureField',
] as const satisfies readonly (keyof Labels)[];

export interface LanguageInfo {
  code: string;
  /** BCP 47 tag written to the PDF's /Lang and the e-mail's Content-Language. */
  tag: string;
  name: string;
  direction: 'ltr' | 'rtl';
  script: Script;
  /** Whether body paragraphs are justified (Chinese by spacing every character evenly). */
  justify: boolean;
  dateLocale: Locale;
  /** date-fns pattern for the date itself. */
  datePattern: string;
  /** How place and date are joined into the date line; without a place, the date alone, as the language writes it then. */
  dateLine: (place: string, date: string) => string;
  /** The city the letters are sent from, in this language, keyed by its English name. */
  places: Record<string, string>;
  labels: Labels;
  groups: Record<Group, string>;
  /** Titles that call for "Excellency" rather than Sir/Madam (compared lower-case, without dots). */
  excellencyTitles: string[];
  /** Chinese writes the title after the name: 王丽华女士. */
  titleAfterName: boolean;
  /**
   * Characters that recipients' names, positions, organisations and addresses in this language
   * most often use. Every letter's font subsets hold their glyphs, so the fonts are the same in
   * every letter and a recipient rarely needs one of their own. Only the PDF's bytes depend on it.
   */
  commonCharacters: string;
  /**
   * Words a line must not end with, in this language's typography, each matched with the spaces
   * after it: the word is tied to the next one (glueWords in layout/lines.ts, called when the
   * letter's lines are made), so it starts the next line with the word it belongs to. Russian
   * keeps its one-letter prepositions, conjunctions and "я" with the next word: "внес вклад в |
   * Целевой фонд" is a fault of Russian typesetting.
   */
  noBreakAfter?: RegExp;
}

/**
 * The Arabic letters in each of the forms they take (alone, last, in the middle and first in a
 * word: ح بح بحب حب), lam-alef, the word Allah (its own ligature, in many names), the short vowels,
 * the digits and the punctuation of names and addresses. The first character says which faces
 * take them (LetterDocument.splitFonts): those with Arabic letters.
 */
const ARABIC_COMMON = `${[...'ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي'].map((c) => `${c} ب${c} ب${c}ب ${c}ب`).join(' ')} لا بلا لأ بلأ لإ بلإ لآ بلآ الله لله عبدالله بَ بُ بِ بّ بْ بً بٌ بٍ ٠١٢٣٤٥٦٧٨٩ 0123456789 ، ؛ ؟ . - ( ) / \u00a0`;

/**
 * Letters, digits and the punctuation of names and addresses in the Latin script, and the ligatures
 * the font makes of them, and the no-break space that keeps a number's groups or a spaced dash
 * together (keepTogether in layout/lines.ts). The first character says which faces take them:
 * those with Latin letters.
 */
const LATIN_COMMON = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;-–—'’&/()#«»“” ff fi fl ffi ffl\u00a0";

const PLACES_EN = { Geneva: 'Geneva', 'New York': 'New York', Vienna: 'Vienna', Nairobi: 'Nairobi' };

const spanish: LanguageInfo = {
  code: 'es',
  tag: 'es',
  name: 'Español',
  direction: 'ltr',
  script: 'latin',
  justify: true,
  dateLocale: es,
  datePattern: "d 'de' MMMM 'de' yyyy",
  dateLine: (place, date) => (place ? `${place}, ${date}` : date),
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
    addressFemale: 'Señora',
    addressMale: 'Señor',
    addressNeutral: 'Señora/Señor',
    addressExcellency: 'Excelencia',
    pageNumber: '- {n} -',
    signatureAlt: 'Firma de {name}',
    signatureReason: 'Emitido por {office}',
    signatureField: 'Firma digital de {name}',
  },
  groups: {
    government: 'Gobiernos',
    'private-sector': 'Sector privado',
    'civil-society': 'Sociedad civil',
    academia: 'Instituciones académicas',
    'international-organization': 'Organizaciones internacionales',
  },
  excellencyTitles: ['excmo', 'excma', 'su excelencia', 's e'],
  titleAfterName: false,
  commonCharacters: `${LATIN_COMMON}ÁÉÍÓÚÑÜáéíóúñüºª`,
};

const english: LanguageInfo = {
  code: 'en',
  tag: 'en-GB',
  name: 'English',
  direction: 'ltr',
  script: 'latin',
  justify: true,
  dateLocale: enGB,
  datePattern: 'd MMMM yyyy',
  dateLine: (place, date) => (place ? `${place}, ${date}` : date),
  places: PLACES_EN,
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
    addressFemale: 'Madam',
    addressMale: 'Sir',
    addressNeutral: 'Sir/Madam',
    addressExcellency: 'Excellency',
    pageNumber: '- {n} -',
    signatureAlt: 'Signature of {name}',
    signatureReason: 'Issued by {office}',
    signatureField: 'Digital signature of {name}',
  },
  groups: {
    government: 'Governments',
    'private-sector': 'Private sector',
    'civil-society': 'Civil society',
    academia: 'Academia',
    'international-organization': 'International organizations',
  },
  excellencyTitles: ['h e', 'his excellency', 'her excellency', 'excellency'],
  titleAfterName: false,
  commonCharacters: LATIN_COMMON,
};

// French typography puts a no-break space before ":" (U+00A0 here: every bundled font has it).
const french: LanguageInfo = {
  code: 'fr',
  tag: 'fr',
  name: 'Français',
  direction: 'ltr',
  script: 'latin',
  justify: true,
  dateLocale: fr,
  datePattern: 'd MMMM yyyy',
  dateLine: (place, date) => (place ? `${place}, le ${date}` : `Le ${date}`),
  places: { Geneva: 'Genève', 'New York': 'New York', Vienna: 'Vienne', Nairobi: 'Nairobi' },
  labels: {
    reference: 'Réf.\u00a0:',
    contact: 'Contact\u00a0:',
    telephone: 'Tél.\u00a0:',
    fax: 'Fax\u00a0:',
    email: 'Courriel\u00a0:',
    to: 'À\u00a0:',
    subject: 'Objet\u00a0:',
    annex: 'Annexe\u00a0:',
    closing: 'Veuillez agréer l’assurance de ma considération distinguée.',
    salutationFemale: 'Madame,',
    salutationMale: 'Monsieur,',
    salutationNeutral: 'Madame, Monsieur,',
    salutationExcellencyFemale: 'Excellence,',
    salutationExcellencyMale: 'Excellence,',
    salutationExcellencyNeutral: 'Excellence,',
    addressFemale: 'Madame',
    addressMale: 'Monsieur',
    addressNeutral: 'Madame, Monsieur',
    addressExcellency: 'Excellence',
    pageNumber: '- {n} -',
    signatureAlt: 'Signature de {name}',
    signatureReason: 'Émis par {office}',
    signatureField: 'Signature numérique de {name}',
  },
  groups: {
    government: 'Gouvernements',
    'private-sector': 'Secteur privé',
    'civil-society': 'Société civile',
    academia: 'Milieux universitaires',
    'international-organization': 'Organisations internationales',
  },
  excellencyTitles: ['s e', 'son excellence', 'excellence'],
  titleAfterName: false,
  commonCharacters: `${LATIN_COMMON}ÀÂÆÇÉÈÊËÎÏÔŒÙÛÜŸàâæçéèêëîïôœùûüÿ`,
};

const russian: LanguageInfo = {
  code: 'ru',
  tag: 'ru',
  name: 'Русский',
  direction: 'ltr',
  script: 'latin',
  justify: true,
  dateLocale: ru,
  datePattern: 'd MMMM yyyy',
  // Published letters write "года" in full after the year.
  dateLine: (place, date) => (place ? `${place}, ${date} года` : `${date} года`),
  places: { Geneva: 'Женева', 'New York': 'Нью-Йорк', Vienna: 'Вена', Nairobi: 'Найроби' },
  labels: {
    reference: 'Исх.:',
    contact: 'Контактное лицо:',
    telephone: 'Тел.:',
    fax: 'Факс:',
    email: 'Эл. почта:',
    to: 'Кому:',
    subject: 'Предмет:',
    annex: 'Приложение:',
    closing: 'С уважением,',
    salutationFemale: 'Уважаемая госпожа {last_name},',
    salutationMale: 'Уважаемый господин {last_name},',
    salutationNeutral: 'Уважаемая госпожа, уважаемый господин,',
    salutationExcellencyFemale: 'Ваше Превосходительство,',
    salutationExcellencyMale: 'Ваше Превосходительство,',
    salutationExcellencyNeutral: 'Ваше Превосходительство,',
    addressFemale: 'госпожа',
    addressMale: 'господин',
    addressNeutral: 'госпожа, господин',
    addressExcellency: 'Ваше Превосходительство',
    pageNumber: '- {n} -',
    signatureAlt: 'Подпись: {name}',
    signatureReason: 'Выдано: {office}',
    signatureField: 'Цифровая подпись: {name}',
  },
  groups: {
    government: 'Правительства',
    'private-sector': 'Частный сектор',
    'civil-society': 'Гражданское общество',
    academia: 'Академические организации',
    'international-organization': 'Международные организации',
  },
  excellencyTitles: ['его превосходительство', 'ее превосходительство', 'её превосходительство'],
  titleAfterName: false,
  commonCharacters: `${LATIN_COMMON}АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя№`,
  // а, в, и, к, о, с, у, я as words of their own (not an initial "А. С."), before a word.
  noBreakAfter: /(?<![\p{L}\p{M}\p{N}\-.’'])[авиксуоя][ \t]+(?=[^\s])/giu,
};

const chinese: LanguageInfo = {
  code: 'zh',
  tag: 'zh-CN',
  name: '中文',
  direction: 'ltr',
  script: 'han',
  justify: true,
  dateLocale: zhCN,
  datePattern: "yyyy'年'M'月'd'日'",
  dateLine: (place, date) => (place ? `${place}，${date}` : date),
  places: { Geneva: '日内瓦', 'New York': '纽约', Vienna: '维也纳', Nairobi: '内罗毕' },
  labels: {
    reference: '文号：',
    contact: '联系人：',
    telephone: '电话：',
    fax: '传真：',
    email: '电子邮件：',
    to: '致：',
    subject: '事由：',
    annex: '附件：',
    closing: '顺致崇高的敬意。',
    salutationFemale: '尊敬的女士：',
    salutationMale: '尊敬的先生：',
    salutationNeutral: '尊敬的先生/女士：',
    salutationExcellencyFemale: '尊敬的阁下：',
    salutationExcellencyMale: '尊敬的阁下：',
    salutationExcellencyNeutral: '尊敬的阁下：',
    addressFemale: '女士',
    addressMale: '先生',
    addressNeutral: '先生/女士',
    addressExcellency: '阁下',
    pageNumber: '- {n} -',
    signatureAlt: '{name}的签名',
    signatureReason: '由{office}签发',
    signatureField: '{name}的数字签名',
  },
  groups: {
    government: '政府',
    'private-sector': '私营部门',
    'civil-society': '民间社会',
    academia: '学术界',
    'international-organization': '国际组织',
  },
  excellencyTitles: ['阁下', '大使阁下'],
  titleAfterName: true,
  // Names use thousands of characters: a letter's own go into a second font (LetterDocument.splitFonts).
  commonCharacters: '',
};

const arabic: LanguageInfo = {
  code: 'ar',
  tag: 'ar',
  name: 'العربية',
  direction: 'rtl',
  script: 'arabic',
  justify: true,
  // Month names as in CLDR `ar`; the organisation's Arabic documents use Western digits.
  dateLocale: ar,
  datePattern: 'd MMMM yyyy',
  dateLine: (place, date) => (place ? `${place}، ${date}` : date),
  places: { Geneva: 'جنيف', 'New York': 'نيويورك', Vienna: 'فيينا', Nairobi: 'نيروبي' },
  labels: {
    reference: 'المراجع:',
    contact: 'الاتصال:',
    telephone: 'الهاتف:',
    fax: 'الفاكس:',
    email: 'البريد الإلكتروني:',
    to: 'إلى:',
    subject: 'الموضوع:',
    annex: 'المرفقات:',
    closing: 'وتفضلوا بقبول فائق الاحترام والتقدير،',
    salutationFemale: 'السيدة المحترمة،',
    salutationMale: 'السيد المحترم،',
    salutationNeutral: 'السيدة المحترمة/السيد المحترم،',
    salutationExcellencyFemale: 'صاحبة السعادة،',
    salutationExcellencyMale: 'صاحب السعادة،',
    salutationExcellencyNeutral: 'أصحاب السعادة،',
    addressFemale: 'السيدة',
    addressMale: 'السيد',
    addressNeutral: 'السيدة/السيد',
    addressExcellency: 'صاحب السعادة',
    pageNumber: '- {n} -',
    signatureAlt: 'توقيع {name}',
    signatureReason: 'صادر عن {office}',
    signatureField: 'التوقيع الرقمي لـ{name}',
  },
  groups: {
    government: 'الحكومات',
    'private-sector': 'القطاع الخاص',
    'civil-society': 'المجتمع المدني',
    academia: 'الأوساط الأكاديمية',
    'international-organization': 'المنظمات الدولية',
  },
  excellencyTitles: ['سعادة', 'معالي', 'صاحب السعادة', 'صاحبة السعادة'],
  titleAfterName: false,
  commonCharacters: ARABIC_COMMON,
};

const LANGUAGES: Record<string, LanguageInfo> = {
  ar: arabic,
  en: english,
  es: spanish,
  fr: french,
  ru: russian,
  zh: chinese,
};

export function supportedLanguages(): string[] {
  return Object.keys(LANGUAGES).sort();
}

export function isSupportedLanguage(code: string): boolean {
  return Object.hasOwn(LANGUAGES, code);
}

export function language(code: string): LanguageInfo {
  const info = isSupportedLanguage(code) ? LANGUAGES[code] : undefined;
  if (!info) throw new Error(`unsupported language "${code}"`);
  return info;
}

export function isGroup(value: string): value is Group {
  return (GROUPS as readonly string[]).includes(value);
}

/**
 * The gender a cell means: '' for an empty cell (the neutral salutation), undefined for a word
 * lettermerge does not know, which fails the row rather than being taken silently as neutral.
 * The words it knows are in data/words.ts (F, M, Mujer, Homme, Mme, 女士…).
 */
export function normaliseGender(value: string): Gender | undefined {
  if (value.trim() === '') return '';
  return GENDER_TABLE.lookup(value);
}

export function formatLetterDate(lang: LanguageInfo, date: Date): string {
  return format(date, lang.datePattern, { locale: lang.dateLocale });
}

export function isExcellency(lang: LanguageInfo, title: string): boolean {
  const t = title.toLowerCase().replace(/\./g, ' ').replace(/\s+/g, ' ').trim();
  return t !== '' && lang.excellencyTitles.some((e) => t === e || t.startsWith(`${e} `));
}

const ALL_EXCELLENCY = Object.values(LANGUAGES).flatMap((l) => l.excellencyTitles);

/** Whatever language the title is typed in, it can make the salutation an Excellency one. */
function excellency(lang: LanguageInfo, title: string): boolean {
  return isExcellency(lang, title) || isExcellency({ ...lang, excellencyTitles: ALL_EXCELLENCY }, title);
}

export interface Addressee {
  gender: Gender;
  title: string;
  last_name: string;
}

export function salutation(labels: Labels, lang: LanguageInfo, who: Addressee): string {
  const exc = excellency(lang, who.title);
  let form: string;
  if (who.gender === 'female') form = exc ? labels.salutationExcellencyFemale : labels.salutationFemale;
  else if (who.gender === 'male') form = exc ? labels.salutationExcellencyMale : labels.salutationMale;
  else form = exc ? labels.salutationExcellencyNeutral : labels.salutationNeutral;
  if (form.includes('{last_name}') && !who.last_name) form = labels.salutationNeutral;
  return fill(form, who);
}

/** The form of address used inside sentences, e.g. in a French closing formula. */
export function addressForm(labels: Labels, lang: LanguageInfo, who: Addressee): string {
  if (excellency(lang, who.title)) return labels.addressExcellency;
  if (who.gender === 'female') return labels.addressFemale;
  if (who.gender === 'male') return labels.addressMale;
  return labels.addressNeutral;
}

function fill(form: string, who: Addressee): string {
  return form.replace(/\{last_name\}/g, who.last_name).replace(/\{title\}/g, who.title).replace(/\s+([,:])/g, '$1');
}

/** A person's name as the language writes it: 王丽华 for Chinese names, "Ana López" otherwise. */
export function fullName(first: string, last: string): string {
  const han = /^[\p{Script=Han}\u00b7·]+$/u;
  if (han.test(first) && han.test(last)) return `${last}${first}`;
  return [first, last].filter(Boolean).join(' ');
}

/** The first line of the addressee block: title and name, in the language's order. */
export function nameLine(lang: LanguageInfo, title: string, name: string): string {
  if (!title) return name;
  if (!name) return title;
  return lang.titleAfterName ? `${name}${/[\p{Script=Han}]$/u.test(name) ? '' : ' '}${title}` : `${title} ${name}`;
}
