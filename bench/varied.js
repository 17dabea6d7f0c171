// Varied recipients for the benchmark and for before/after comparisons: a different person,
// organisation, position and address on every row, in each language's own script and
// conventions, with a realistic spread of groups, titles and genders. Deterministic: the same
// seed gives the same rows. All names are made up from word lists; none is a real person.
//
//   const { variedRows, variedCsv } = require('./varied');
//   variedCsv(2000, 'es', 7)   -> CSV text of 2,000 Spanish rows
//   variedCsv(300, 'mix', 7)   -> six languages, in the proportions of a real UN-wide list
'use strict';

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; enough for test data. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GROUPS = [
  // A campaign list is mostly governments, then civil society and the private sector.
  ['government', 0.34],
  ['private-sector', 0.2],
  ['civil-society', 0.22],
  ['academia', 0.14],
  ['international-organization', 0.1],
];

const W = (s) => s.split('|');

const DATA = {
  es: {
    female: W('María|Lucía|Carmen|Ana Isabel|Valentina|Sofía|Gabriela|Daniela|Paula|Fernanda|Ximena|Rocío|Inés|Beatriz|Julia|Alejandra|Marisol|Lorena|Patricia|Teresa'),
    male: W('José Luis|Andrés|Julián|Carlos|Miguel Ángel|Santiago|Diego|Fernando|Javier|Rodrigo|Emilio|Ignacio|Tomás|Ramiro|Óscar|Gonzalo|Sebastián|Mauricio|Héctor|Raúl'),
    last: W('Echeverría|Cordero|Pizarro|Barrientos|Ochoa|Villalobos|Gutiérrez|Ibarra|Fuentes|Salinas|Quintana|Moreno|Zúñiga|Arriola|Benítez|Cárdenas|Domínguez|Espinoza|Figueroa|Guerrero|Hidalgo|Iturbide|Jaramillo|Lozano|Montoya|Núñez|Orozco|Peña|Quiroga|Rivas|Sandoval|Tapia|Urrutia|Valdés|Yáñez|Zamora'),
    titles: { female: ['Sra.', 'Dra.', 'Prof.', 'Excma. Sra.', 'Lic.'], male: ['Sr.', 'Dr.', 'Prof.', 'Excmo. Sr.', 'Ing.'], '': [''] },
    positions: W('Ministra de Tecnologías de la Información|Director General de Telecomunicaciones|Vicepresidenta de Asuntos Regulatorios|Coordinador de Proyectos|Decana de la Facultad de Ingeniería|Jefe de la División de Cooperación|Directora Ejecutiva|Asesor Principal en Política Digital|Secretaria Técnica|Representante Permanente'),
    orgs: [W('Ministerio|Secretaría|Agencia Nacional|Instituto|Fundación|Asociación|Universidad|Organización Regional|Cámara|Red'), W('de Tecnologías de la Información|de Comunicaciones|para el Desarrollo Digital|de Ciencia y Tecnología|Conectar para Incluir|del Pacífico Sur|de Telecomunicaciones|de Inclusión Digital|de Estudios de la Sociedad de la Información|Andina de Innovación')],
    streets: W('Avenida del Libertador|Calle Reforma|Carrera 7|Paseo de la Castellana|Avenida Naciones Unidas|Calle de la Princesa|Jirón de la Unión|Avenida Alameda|Calle Mayor|Bulevar Artigas'),
    cities: W('28008 Madrid|06600 Ciudad de México|Bogotá D.C.|Lima 32|170135 Quito|C1425 Buenos Aires|Santiago|11000 Montevideo|La Paz|San José'),
    countries: W('Argentina (ficticio)|México (ficticio)|Colombia (ficticio)|Perú (ficticio)|Ecuador (ficticio)|España|Chile (ficticio)|Uruguay (ficticio)|Bolivia (ficticio)|Costa Rica (ficticio)'),
    street: (r, s) => `${s} ${1 + Math.floor(r() * 2400)}`,
    domain: 'example.org',
  },
  en: {
    female: W('Hannah|Grace|Olivia|Amelia|Charlotte|Priya|Fiona|Rebecca|Abigail|Naomi|Imogen|Harriet|Joanna|Leah|Ruth|Eleanor|Margaret|Sarah|Ayesha|Chloe'),
    male: W('Thomas|Samuel|Daniel|Oliver|James|Edward|Kwame|Arjun|Benjamin|Patrick|Henry|George|Nathan|Simon|Rupert|Kofi|Callum|David|Michael|Liam'),
    last: W('Whitfield|Adeyemi|Okonkwo|Lindqvist|Mwangi|Harrington|Ashworth|Fairbanks|Pemberton|Osei|Mensah|Carmichael|Delacroix|Ellsworth|Fitzgerald|Gallagher|Hollis|Iverson|Jameson|Kingsley|Lockhart|Montague|Northcott|Oduya|Prescott|Quayle|Radcliffe|Sinclair|Thackeray|Underwood|Vance|Wexford|Yardley'),
    titles: { female: ['Ms', 'Dr', 'Prof.', 'H.E. Ms', 'Mrs'], male: ['Mr', 'Dr', 'Prof.', 'H.E. Mr', 'Sir'], '': [''] },
    positions: W('Head of Public Policy|Executive Director|Chair of Digital Policy|Programme Manager|Permanent Representative|Minister for Communications|Chief Technology Officer|Senior Adviser|Director of Research|Secretary-General'),
    orgs: [W('Ministry|Office|Institute|Foundation|Alliance|University|Council|Agency|Network|Centre'), W('of Communications|for Digital Inclusion|for Information Society Studies|Open Access|of Technology|for Broadband Development|of the Pacific Islands|for Rural Connectivity|for Internet Governance|Northbridge')],
    streets: W('Canal Street|Harbour Road|College Road|Kingsway|Victoria Embankment|Church Lane|Market Square|Riverside Drive|Station Road|Queen Street'),
    cities: W('Manchester M1 3HE|Nairobi 00100|Accra|Wellington 6011|Kingston 5|Edinburgh EH1 1YZ|Cape Town 8001|Toronto ON M5H 2N2|Dublin 2|Sydney NSW 2000'),
    countries: W('United Kingdom|Kenya|Ghana|New Zealand|Jamaica|Westland (fictional)|South Africa|Canada|Ireland|Australia'),
    street: (r, s) => `${1 + Math.floor(r() * 300)} ${s}`,
    domain: 'example.com',
  },
  fr: {
    female: W('Zoé|Camille|Aminata|Claire|Élodie|Sophie|Mariam|Juliette|Hélène|Fatou|Margaux|Céline|Isabelle|Agnès|Léa|Nadia|Brigitte|Awa|Solène|Véronique'),
    male: W('Jean-Baptiste|Olivier|Mamadou|François|Étienne|Luc|Thierry|Ousmane|Pierre|Rémi|Gilles|Yves|Laurent|Didier|Serge|Moussa|Benoît|Cédric|Hervé|Karim'),
    last: W('Lefèvre|Koffi Mensah|Diallo|Moreau|Girard|Traoré|Rousseau|Lambert|Fontaine|Chevalier|Ndiaye|Bonnet|Dupont|Faure|Gauthier|Kaboré|Leclerc|Mercier|Ouédraogo|Perrin|Renaud|Sow|Vasseur'),
    titles: { female: ['Mme', 'Dr', 'Pr', 'S.E. Mme'], male: ['M.', 'Dr', 'Pr', 'S.E. M.'], '': [''] },
    positions: W("Ministre de l'Économie numérique|Directrice générale|Chargé de mission|Présidente du conseil|Professeur titulaire|Responsable des partenariats|Secrétaire exécutif|Conseillère principale|Directeur de la recherche|Représentante permanente"),
    orgs: [W('Ministère|Agence|Institut|Fondation|Association|Université|Conseil|Observatoire|Réseau|Centre'), W("de l'Économie numérique|pour l'Inclusion numérique|des Télécommunications|de Recherche en Sciences de l'Information|Francophone du Numérique|de Dakar|des Postes|pour la Gouvernance de l'Internet|Africain de Formation|des Hauts-Plateaux")],
    streets: W('Boulevard de la République|Rue de Lausanne|Avenue de la Paix|Rue du Commerce|Place de la Nation|Quai des Bergues|Avenue Bourguiba|Rue Carnot|Boulevard Haussmann|Chemin des Crêts'),
    cities: W('BP 1234 Lomé|1202 Genève|75008 Paris|Dakar|Abidjan 01|Ouagadougou 01|H3A 1B9 Montréal|1000 Bruxelles|Tunis 1001|Niamey'),
    countries: W('Terre-Neuve (fictif)|Suisse|France|Sénégal|Côte d’Ivoire|Burkina Faso|Canada|Belgique|Tunisie|Niger'),
    street: (r, s) => `${1 + Math.floor(r() * 150)}, ${s}`,
    domain: 'example.fr',
  },
  ru: {
    female: W('Елена|Анна|Ольга|Мария|Наталья|Татьяна|Ирина|Светлана|Екатерина|Юлия|Дарья|Алина|Вера|Галина|Ксения'),
    male: W('Сергей|Андрей|Дмитрий|Алексей|Михаил|Николай|Владимир|Игорь|Павел|Константин|Олег|Виктор|Юрий|Борис|Григорий'),
    // Russian surnames change with gender: [male, female].
    last: [['Иванов', 'Иванова'], ['Петров', 'Петрова'], ['Смирнов', 'Смирнова'], ['Кузнецов', 'Кузнецова'], ['Соколов', 'Соколова'], ['Волков', 'Волкова'], ['Морозов', 'Морозова'], ['Лебедев', 'Лебедева'], ['Козлов', 'Козлова'], ['Новиков', 'Новикова'], ['Орлов', 'Орлова'], ['Зайцев', 'Зайцева'], ['Белов', 'Белова'], ['Громов', 'Громова']],
    titles: { female: ['г-жа', 'д-р', 'проф.', 'Ее Превосходительство г-жа'], male: ['г-н', 'д-р', 'проф.', 'Его Превосходительство г-н'], '': [''] },
    positions: W('Министр цифрового развития|Директор департамента|Заместитель председателя|Руководитель программы|Профессор кафедры|Исполнительный директор|Советник|Постоянный представитель|Начальник отдела|Главный научный сотрудник'),
    orgs: [W('Министерство|Агентство|Институт|Фонд|Ассоциация|Университет|Совет|Центр|Союз|Комитет'), W('цифрового развития|связи и массовых коммуникаций|информационного общества|открытого доступа|телекоммуникаций|региональных сетей|исследований интернета|цифровой грамотности|по вопросам связи|технологий и инноваций')],
    streets: W('ул. Тверская|пр. Мира|ул. Ленина|Невский пр.|ул. Садовая|наб. Фонтанки|ул. Гагарина|пр. Победы|ул. Пушкина|ул. Мира'),
    cities: W('125009 Москва|191186 Санкт-Петербург|630099 Новосибирск|620014 Екатеринбург|420111 Казань|050000 Алматы|220030 Минск|720000 Бишкек|0010 Ереван|734025 Душанбе'),
    countries: W('Северния (вымышленная)|Россия|Казахстан|Беларусь|Кыргызстан|Армения|Таджикистан|Узбекистан|Азербайджан|Молдова'),
    street: (r, s) => `${s}, д. ${1 + Math.floor(r() * 120)}`,
    domain: 'example.ru',
  },
  zh: {
    female: W('丽华|晓梅|静|雪|婷婷|海燕|玉兰|慧敏|佳怡|秀英|雅琴|欣怡|美玲|春梅|文静'),
    male: W('伟|建国|志强|明|浩然|国华|立新|俊杰|海涛|文博|永康|子轩|晨阳|振宇|德明'),
    last: W('王|李|张|刘|陈|杨|赵|黄|周|吴|徐|孙|胡|朱|高|林|何|郭|马|罗|欧阳|司马'),
    titles: { female: ['', '', '博士', '教授'], male: ['', '', '博士', '教授'], '': [''] },
    positions: W('工业和信息化部副部长|信息通信发展司司长|首席执行官|项目主管|执行主任|教授|国际合作处处长|高级顾问|研究中心主任|常驻代表'),
    orgs: [W('国家|中国|亚太|华东|西部|北方|南方|国际|东方|中华'), W('信息通信研究院|互联网协会|数字发展基金会|电信股份有限公司|大学信息学院|信息社会研究中心|网络空间研究所|数字包容联盟|通信标准化协会|科技合作促进会')],
    streets: W('西长安街|中关村大街|人民路|解放路|南京东路|建国门外大街|天府大道|珠江新城花城大道|科技园南路|长江路'),
    cities: W('北京市西城区|北京市海淀区|上海市黄浦区|广州市天河区|深圳市南山区|成都市高新区|杭州市西湖区|武汉市洪山区|南京市鼓楼区|西安市雁塔区'),
    countries: W('中国|中国|中国|新加坡|马来西亚'),
    street: (r, s) => `${s}${1 + Math.floor(r() * 300)}号`,
    domain: 'example.cn',
  },
  ar: {
    female: W('فاطمة|مريم|ليلى|نور|سارة|هدى|رانيا|أمل|سلمى|دينا|ياسمين|هالة|منى|رشا|لينا'),
    male: W('أحمد|محمد|خالد|عمر|يوسف|طارق|سامي|كريم|حسن|علي|مروان|زياد|وليد|ماجد|فيصل'),
    last: W('المنصوري|الحسيني|العبدالله|الزهراني|القاسمي|الخطيب|الشامي|النجار|الحداد|السعدي|العطار|البكري|الفارسي|الكعبي|المصري|التميمي'),
    titles: { female: ['السيدة', 'الدكتورة', 'الأستاذة', 'سعادة السيدة', 'معالي السيدة'], male: ['السيد', 'الدكتور', 'الأستاذ', 'سعادة السيد', 'معالي السيد'], '': [''] },
    positions: W('وزير الاتصالات وتقنية المعلومات|المدير العام|رئيسة قسم السياسات|مدير البرامج|أستاذ علوم الحاسوب|المديرة التنفيذية|مستشار أول|الممثل الدائم|رئيس مجلس الإدارة|منسقة المشاريع'),
    orgs: [W('وزارة|هيئة|معهد|مؤسسة|جمعية|جامعة|مجلس|مركز|شبكة|اتحاد'), W('الاتصالات وتقنية المعلومات|تنظيم الاتصالات|الدراسات الرقمية|الشمول الرقمي|الإنترنت العربية|العلوم والتكنولوجيا|التنمية الرقمية|الواحة للمعلومات|البحوث الإعلامية|المجتمع المدني الرقمي')],
    streets: W('شارع الملك فهد|شارع الجامعة|طريق الكورنيش|شارع التحرير|شارع الاستقلال|شارع الحمراء|طريق المطار|شارع النيل|شارع الرشيد|شارع الملكة رانيا'),
    cities: W('الرياض 11564|عمّان 11118|القاهرة|بيروت|الدار البيضاء 20000|تونس 1002|الدوحة|أبوظبي|مسقط 100|الكويت 13001'),
    countries: W('دولة الواحة (خيالية)|الأردن|مصر|لبنان|المغرب|تونس|قطر|الإمارات العربية المتحدة|عُمان|الكويت'),
    street: (r, s) => `${1 + Math.floor(r() * 90)} ${s}`,
    domain: 'example.net',
  },
};

// How a UN-wide list spreads over the six languages.
const MIX = [['en', 0.34], ['fr', 0.18], ['es', 0.18], ['ar', 0.12], ['ru', 0.09], ['zh', 0.09]];

function pickWeighted(r, table) {
  let x = r();
  for (const [v, w] of table) {
    if ((x -= w) < 0) return v;
  }
  return table[table.length - 1][0];
}

const pick = (r, list) => list[Math.floor(r() * list.length)];

const COLUMNS = ['id', 'language', 'group', 'gender', 'title', 'first_name', 'last_name', 'position', 'organization', 'address', 'country', 'email'];

/** n varied recipients in language `lang` ('es', 'en', …, or 'mix'), from `seed`. */
function variedRows(n, lang, seed = 1) {
  const r = rng(seed * 7919 + n);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const code = lang === 'mix' ? pickWeighted(r, MIX) : lang;
    const d = DATA[code];
    const group = pickWeighted(r, GROUPS);
    const g = r();
    const gender = g < 0.46 ? 'female' : g < 0.92 ? 'male' : '';
    const first = gender ? pick(r, d[gender]) : pick(r, r() < 0.5 ? d.female : d.male);
    let last = pick(r, d.last);
    if (Array.isArray(last)) last = gender === 'female' ? last[1] : last[0];
    else if (code === 'es' && r() < 0.7) last = `${last} ${pick(r, d.last)}`;
    const title = pick(r, d.titles[gender]);
    const org = `${pick(r, d.orgs[0])} ${pick(r, d.orgs[1])}`;
    // Every row is its own person and organisation: a serial keeps them apart when word lists repeat.
    const serial = i + 1;
    const organization = code === 'zh' ? `${org}（第${serial}分部）` : code === 'ar' ? `${org} - فرع ${serial}` : `${org} ${serial}`;
    const lines = [d.street(r, pick(r, d.streets))];
    if (r() < 0.4) lines.push(code === 'zh' ? `${1 + Math.floor(r() * 30)}层` : code === 'ar' ? `الطابق ${1 + Math.floor(r() * 30)}` : code === 'ru' ? `офис ${100 + Math.floor(r() * 900)}` : code === 'fr' ? `Bureau ${100 + Math.floor(r() * 900)}` : code === 'es' ? `Piso ${1 + Math.floor(r() * 30)}` : `Suite ${100 + Math.floor(r() * 900)}`);
    lines.push(pick(r, d.cities));
    const hasPerson = group !== 'government' || r() < 0.9;
    rows.push({
      id: `v${code}-${String(serial).padStart(6, '0')}`,
      language: code,
      group,
      gender: hasPerson ? gender : '',
      title: hasPerson ? title : '',
      first_name: hasPerson ? first : '',
      last_name: hasPerson ? last : '',
      position: hasPerson ? pick(r, d.positions) : '',
      organization,
      address: lines.join('\n'),
      country: pick(r, d.countries),
      email: `contact${serial}.${code}@org${serial}.${d.domain}`,
    });
  }
  return rows;
}

function csvCell(v) {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The rows as CSV text, with the columns lettermerge reads. */
function variedCsv(n, lang, seed = 1) {
  const lines = [COLUMNS.join(',')];
  for (const row of variedRows(n, lang, seed)) lines.push(COLUMNS.map((c) => csvCell(row[c])).join(','));
  return lines.join('\n') + '\n';
}

module.exports = { variedRows, variedCsv, COLUMNS };

if (require.main === module) {
  const [n = '300', lang = 'mix', seed = '1'] = process.argv.slice(2);
  process.stdout.write(variedCsv(Number(n), lang, Number(seed)));
}
