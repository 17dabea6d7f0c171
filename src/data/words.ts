import { distance } from 'fastest-levenshtein';
import type { Gender, Group } from '../i18n/languages';

/**
 * The words people use in recipient lists, for the column names and the values lettermerge reads:
 * a header "Correo electrónico" is the email column, a group "Sector privado" is private-sector.
 * Words are compared folded: lower-case, without accents, and without spaces, hyphens,
 * underscores, dots or apostrophes ("E-mail", "e_mail" and "Email" are one word).
 */

/**
 * A word as it is compared: "Correo electrónico" → "correoelectronico", "M." → "m", "Е-mail" stays
 * Cyrillic; an invisible character pasted with it (a zero-width space) is no part of it.
 */
export function fold(word: string): string {
  return word
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\s\-_.'’‘`´·()[\]/\p{Cf}]+/gu, '');
}

/**
 * The fields lettermerge reads from a recipients file (the core columns, the optional cc, bcc and
 * salutation), and the other names of each in the six languages. A field's own name always
 * matches.
 */
export const FIELD_WORDS: Record<string, readonly string[]> = {
  id: ['identifier', 'recipient id', 'contact id', 'identificador', 'identifiant', 'идентификатор', 'код', '编号', 'المعرف', 'الرقم التعريفي'],
  language: ['lang', 'locale', 'idioma', 'lengua', 'langue', 'язык', '语言', '语文', 'اللغة'],
  group: ['stakeholder group', 'stakeholder', 'sector', 'category', 'grupo', 'categoría', 'groupe', 'catégorie', 'группа', 'категория', '类别', '群体', '组别', 'الفئة', 'المجموعة'],
  gender: ['sex', 'género', 'sexo', 'genre', 'sexe', 'пол', '性别', 'الجنس'],
  title: ['honorific', 'form of address', 'título', 'tratamiento', 'titre', 'civilité', 'обращение', 'звание', '称谓', '头衔', 'اللقب'],
  first_name: ['first name', 'given name', 'forename', 'nombre', 'prénom', 'имя', '名', 'الاسم الأول'],
  last_name: ['last name', 'surname', 'family name', 'apellido', 'apellidos', 'nom', 'nom de famille', 'фамилия', '姓', 'اسم العائلة'],
  position: ['job title', 'function', 'role', 'cargo', 'puesto', 'fonction', 'poste', 'должность', '职务', '职位', 'المنصب', 'الوظيفة'],
  organization: ['organisation', 'company', 'institution', 'organismo', 'organización', 'institución', 'entidad', 'organisme', 'организация', 'учреждение', '组织', '机构', '单位', 'المنظمة', 'المؤسسة', 'الجهة'],
  address: ['postal address', 'mailing address', 'street address', 'dirección', 'dirección postal', 'adresse', 'adresse postale', 'адрес', 'почтовый адрес', '地址', '通讯地址', 'العنوان'],
  country: ['país', 'pays', 'страна', '国家', 'البلد', 'الدولة'],
  email: ['e-mail', 'mail', 'email address', 'e-mail address', 'correo', 'correo electrónico', 'courriel', 'adresse électronique', 'электронная почта', 'эл почта', '电子邮件', '电子邮箱', '邮箱', 'البريد الإلكتروني'],
  cc: ['copy', 'copia', 'copie', 'копия', '抄送', 'نسخة'],
  bcc: ['blind copy', 'cco', 'copia oculta', 'cci', 'copie cachée', 'скрытая копия', '密送', 'نسخة مخفية'],
  salutation: ['greeting', 'saludo', 'formule d’appel', 'приветствие', '称呼', 'التحية'],
};

/** The stakeholder groups' names that a group cell may hold, besides the codes, in the six languages. */
export const GROUP_WORDS: Record<Group, readonly string[]> = {
  government: ['government', 'governments', 'gobierno', 'gobiernos', 'gouvernement', 'gouvernements', 'правительство', 'правительства', '政府', 'الحكومة', 'الحكومات'],
  'private-sector': ['private sector', 'business', 'sector privado', 'secteur privé', 'частный сектор', '私营部门', 'القطاع الخاص'],
  'civil-society': [
    'civil society',
    'civil society organization',
    'civil society organisation',
    'ngo',
    'sociedad civil',
    'organización de la sociedad civil',
    'ong',
    'société civile',
    'organisation de la société civile',
    'гражданское общество',
    'нпо',
    '民间社会',
    '民间社会组织',
    '非政府组织',
    'المجتمع المدني',
    'منظمات المجتمع المدني',
  ],
  academia: ['academia', 'academic', 'university', 'instituciones académicas', 'universidad', 'milieux universitaires', 'milieu universitaire', 'université', 'академические организации', 'академическое сообщество', '学术界', '学术机构', 'الأوساط الأكاديمية'],
  'international-organization': ['international organization', 'international organizations', 'international organisation', 'international organisations', 'organización internacional', 'organizaciones internacionales', 'organisation internationale', 'organisations internationales', 'международная организация', 'международные организации', '国际组织', 'منظمة دولية', 'المنظمات الدولية'],
};

/** The names of the six languages that a language cell may hold, besides the codes and locale tags (es-ES, zh-Hans). */
export const LANGUAGE_WORDS: Record<string, readonly string[]> = {
  ar: ['arabic', 'árabe', 'arabe', 'арабский', '阿拉伯语', '阿拉伯文', 'العربية', 'ara'],
  en: ['english', 'inglés', 'anglais', 'английский', '英语', '英文', 'الإنكليزية', 'الإنجليزية', 'eng'],
  es: ['spanish', 'español', 'castellano', 'espagnol', 'испанский', '西班牙语', '西班牙文', 'الإسبانية', 'spa'],
  fr: ['french', 'francés', 'français', 'французский', '法语', '法文', 'الفرنسية', 'fra', 'fre'],
  ru: ['russian', 'ruso', 'russe', 'русский', '俄语', '俄文', 'الروسية', 'rus'],
  zh: ['chinese', 'chino', 'chinois', 'китайский', '中文', '汉语', '简体中文', 'الصينية', 'zho', 'chi'],
};

/** The spellings of a gender: words and forms of address (Mme, M., Sr., Sra., г-жа, 女士…). */
export const GENDER_WORDS: Record<'female' | 'male', readonly string[]> = {
  female: ['f', 'female', 'woman', 'w', 'ms', 'mrs', 'miss', 'mujer', 'femenino', 'sra', 'señora', 'femme', 'féminin', 'mme', 'madame', 'ж', 'жен', 'женский', 'г-жа', 'госпожа', '女', '女性', '女士', 'أنثى', 'امرأة', 'السيدة'],
  male: ['m', 'male', 'man', 'mr', 'hombre', 'masculino', 'sr', 'señor', 'homme', 'masculin', 'monsieur', 'м', 'муж', 'мужской', 'г-н', 'господин', '男', '男性', '先生', 'ذكر', 'رجل', 'السيد'],
};

/** A table of words by what they mean, folded once for lookups. */
export class WordTable<T extends string> {
  private readonly byWord = new Map<string, T>();

  constructor(readonly meanings: Record<T, readonly string[]>) {
    for (const [meaning, words] of Object.entries(meanings) as [T, readonly string[]][]) {
      for (const w of [meaning, ...words]) {
        const key = fold(w);
        const other = this.byWord.get(key);
        if (other !== undefined && other !== meaning) throw new Error(`"${w}" would mean both ${other} and ${meaning}`);
        this.byWord.set(key, meaning);
      }
    }
  }

  /** What a word means, compared folded; undefined for a word not in the table. */
  lookup(word: string): T | undefined {
    return this.byWord.get(fold(word));
  }

  /**
   * The meanings an unknown word may have been meant for: those of the words it is part of, or
   * that are part of it ("Organización" is part of two groups' names; "Gobierno nacional" holds
   * "gobierno"); else those whose words are nearest, when near enough. Several when it is as
   * near to more than one.
   */
  nearest(word: string): T[] {
    const key = fold(word);
    // A letter or two is near to too much to suggest anything ("x" is one letter from "f" and "m").
    if (key.length < 3) return [];
    if (key.length >= 4) {
      const within = new Set<T>();
      for (const [w, meaning] of this.byWord) if (w.length >= 4 && (w.includes(key) || key.includes(w))) within.add(meaning);
      if (within.size > 0) return [...within].sort();
    }
    let best = Infinity;
    let found = new Set<T>();
    for (const [w, meaning] of this.byWord) {
      const d = distance(key, w);
      if (d < best) {
        best = d;
        found = new Set([meaning]);
      } else if (d === best) found.add(meaning);
    }
    // A third of its letters wrong, at least one (two from five letters: "Emial" is a transposition).
    const allowed = key.length >= 5 ? Math.max(2, Math.floor(key.length / 3)) : 1;
    return best <= allowed ? [...found].sort() : [];
  }
}

/**
 * The parts of a postal address that exports from contacts databases give columns of their own, in
 * the six languages: lettermerge prints the address column alone, so a part in a column of its own
 * is checked for in it (see FieldParts in data/recipients.ts).
 */
export const ADDRESS_PART_WORDS: Record<'city' | 'postal code' | 'province', readonly string[]> = {
  city: ['town', 'locality', 'city/town', 'ciudad', 'localidad', 'municipio', 'ville', 'localité', 'commune', 'город', 'населённый пункт', 'населенный пункт', '城市', '城镇', 'المدينة'],
  'postal code': ['postcode', 'post code', 'zip', 'zip code', 'zipcode', 'zip/postal code', 'postal/zip code', 'código postal', 'cp', 'code postal', 'почтовый индекс', 'индекс', '邮编', '邮政编码', 'الرمز البريدي'],
  // Not "region", "state" or "departamento" (a meaning's name is one of its words): a list of an
  // international organisation's contacts has a region of the world ("Africa"), a record's
  // state, a department of the organisation.
  province: ['state/province', 'province/state', 'provincia', '省份'],
};

/** The headers of an address's further lines, with a figure of 2 or more ("Address line 2", "Dirección 2"). */
const ADDRESS_LINE_WORDS = new Set(['address', 'address line', 'street', 'street address', 'dirección', 'línea de dirección', 'calle', 'adresse', 'ligne d’adresse', 'rue', 'адрес', 'улица', 'строка адреса', '地址', '街道', 'العنوان', 'الشارع'].map(fold));

const ADDRESS_PARTS = new WordTable(ADDRESS_PART_WORDS);

/** The headers of a second surname's column, as a Spanish list names it ("Segundo apellido"; with a figure, "Apellido 2": see SURNAME_WORDS). */
const SURNAME_PART_WORDS = new Set(['segundo apellido', 'apellido materno', 'second surname', 'second last name', 'maternal surname'].map(fold));
const SURNAME_WORDS = new Set(['apellido', 'last name', 'surname', 'family name'].map(fold));

/**
 * The field a column holds a part of, by its header: the address ("City", "Código postal",
 * "Province", "Address line 2") or the last name (a second surname: "Segundo apellido",
 * "Apellido 2"); undefined for any other.
 */
export function fieldPartOf(header: string): 'address' | 'last_name' | undefined {
  if (ADDRESS_PARTS.lookup(header)) return 'address';
  const folded = fold(header);
  if (SURNAME_PART_WORDS.has(folded)) return 'last_name';
  // A further one, numbered from 2: "Address line 2", "Dirección 2", "Apellido 2".
  if (!/[2-9]/.test(header)) return undefined;
  const bare = folded.replace(/\d+/g, '');
  if (ADDRESS_LINE_WORDS.has(bare)) return 'address';
  return SURNAME_WORDS.has(bare) ? 'last_name' : undefined;
}

export const FIELDS = new WordTable<string>(FIELD_WORDS);
export const GROUP_TABLE = new WordTable<Group>(GROUP_WORDS);
export const LANGUAGE_TABLE = new WordTable<string>(LANGUAGE_WORDS);
export const GENDER_TABLE = new WordTable<Exclude<Gender, ''>>(GENDER_WORDS);

/**
 * The language a cell's word means: a code (es), a locale tag (es-ES, zh-Hans, ar_AE) or a
 * language's name in any of the six languages (Español, Spanish, 中文).
 */
export function languageOf(word: string): string | undefined {
  const named = LANGUAGE_TABLE.lookup(word);
  if (named) return named;
  const tag = /^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$/i.exec(word.trim());
  if (tag) return LANGUAGE_TABLE.lookup(tag[1]);
  return undefined;
}
