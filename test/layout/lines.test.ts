import { readFileSync } from 'node:fs';
import path from 'node:path';
import { latinFace, measure } from '../../src/fonts/fonts';
import { LEFT_MIN, RIGHT_MIN, hyphenatorFor, keptWords } from '../../src/layout/hyphenate';
import { language, supportedLanguages } from '../../src/i18n/languages';
import { SOFT_HYPHEN, breakLines, glueWords, keepTogether } from '../../src/layout/lines';
import type { Hyphenation, Line, StyledRun } from '../../src/layout/lines';

const regular = latinFace('regular');
const bold = latinFace('bold');
const run = (text: string, face = regular, link?: string): StyledRun => ({ text, faces: [face], size: 11, color: '#000', link });

const TEXT =
  'El Fondo Fiduciario de la CMSI fue creado en 2011 en aplicación de la Resolución 140 de la Conferencia de ' +
  'Plenipotenciarios. En la Resolución 1332 del Consejo de la UIT, modificada por el Consejo en mayo de 2016, se ' +
  'tienen en cuenta los resultados del examen general.';

describe('breakLines', () => {
  it('never makes a line wider than the measure, and loses no text', () => {
    for (const width of [120, 200, 333, 471]) {
      const lines = breakLines([run(TEXT)], width, 'start');
      for (const l of lines) expect(l.naturalWidth).toBeLessThanOrEqual(width + 0.01);
      expect(lines.map((l) => l.segments.map((s) => s.text).join('')).join(' ')).toBe(TEXT);
    }
  });

  it('keeps every space in the text it draws, justified or not, and marks where a line ends in one', () => {
    for (const align of ['start', 'justify'] as const) {
      const runs = [run('The Fund '), run('Resolution 140', regular, 'https://example.org/'), run(' of the Conference. '), run('Next\nline')];
      const lines = breakLines(runs, 140, align);
      const text = lines.map((l) => l.segments.map((s) => s.text).join('') + (l.spaceAfter ? ' ' : '')).join('');
      expect(text).toBe('The Fund Resolution 140 of the Conference. Next line');
      expect(lines[lines.length - 1].spaceAfter).toBeUndefined();
    }
  });

  it('fills a greedy line: the next word would not have fitted', () => {
    const width = 250;
    const lines = breakLines([run(TEXT)], width, 'start');
    for (let i = 0; i + 1 < lines.length; i++) {
      const nextWord = lines[i + 1].segments[0].text.split(' ')[0];
      expect(lines[i].naturalWidth + measure(regular, ` ${nextWord}`, 11)).toBeGreaterThan(width);
    }
  });

  it('justifies every line but the last to the exact width', () => {
    const width = 300;
    const lines = breakLines([run('Start '), run('in bold ', bold), run(TEXT)], width, 'justify');
    expect(lines.length).toBeGreaterThan(2);
    lines.slice(0, -1).forEach((l) => {
      const last = l.segments[l.segments.length - 1];
      expect(last.x + last.width).toBeCloseTo(width, 3);
      expect(l.segments[0].x).toBeCloseTo(0, 6);
    });
    const last = lines[lines.length - 1];
    expect(last.segments.every((s) => s.wordSpacing === 0)).toBe(true);
  });

  it('right-aligns and centres', () => {
    const [r] = breakLines([run('Geneva, 3 September 2021')], 400, 'right');
    expect(r.segments[0].x + r.segments[0].width).toBeCloseTo(400, 6);
    const [c] = breakLines([run('abc')], 400, 'center');
    expect(c.segments[0].x).toBeCloseTo((400 - c.naturalWidth) / 2, 6);
  });

  it('breaks a word longer than the line instead of overflowing', () => {
    const url = 'https://www.example.org/' + 'averyveryverylongpathsegment'.repeat(6);
    const lines = breakLines([run(url)], 150, 'left');
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(l.naturalWidth).toBeLessThanOrEqual(150.01);
    expect(lines.map((l) => l.segments.map((s) => s.text).join('')).join('')).toBe(url);
  });

  it('honours hard line breaks and keeps links on their segments', () => {
    const lines = breakLines([run('one'), run('\n'), run('two ', regular), run('site', regular, 'https://a.example')], 400, 'justify');
    expect(lines).toHaveLength(2);
    expect(lines[0].segments.map((s) => s.text)).toEqual(['one']);
    expect(lines[0].segments[0].wordSpacing).toBe(0);
    expect(lines[1].segments.map((s) => [s.text, s.link])).toEqual([
      ['two ', undefined],
      ['site', 'https://a.example'],
    ]);
  });

  it('never breaks between groups of digits ("50 000"), before "%" or a currency, inside French guillemets, before a spaced dash or between "Resolution" and its number, and never widens the no-break spaces', () => {
    const text =
      'Le Forum a réuni plus de 50 000 participants de plus de 150 pays, « en ligne » et sur place, pour 1 250 000 CHF au total, ' +
      'soit 12 % de plus – selon la résolution n° 140 – et 5 € par personne.';
    const widest = Math.max(...['« en ligne »', '1 250 000 CHF', 'plus –', 'n° 140'].map((w) => measure(regular, w, 11)));
    let checked = 0;
    for (let width = Math.ceil(widest) + 1; width < 400; width += 0.5) {
      for (const align of ['start', 'justify'] as const) {
        const lines = breakLines([run(text)], width, align).map((l) => l.segments.map((s) => s.text).join('').trim());
        for (let i = 0; i + 1 < lines.length; i++) {
          expect([lines[i], lines[i + 1]]).not.toEqual([expect.stringMatching(/\d$/), expect.stringMatching(/^\d{3}/)]);
          expect(lines[i]).not.toMatch(/«$/);
          expect(lines[i + 1]).not.toMatch(/^[»%€–]|^CHF|^140/);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    // The spaces are no-break spaces, which justification leaves as wide as they are.
    expect(keepTogether(text)).toContain('50\u00a0000');
    expect(keepTogether(text)).toContain('1\u00a0250\u00a0000');
    expect(keepTogether(text)).toContain('«\u00a0en ligne\u00a0»');
    expect(keepTogether(text)).toContain('000\u00a0CHF');
    expect(keepTogether(text)).toContain('12\u00a0% de plus\u00a0– selon');
    expect(keepTogether(text)).toContain('n°\u00a0140\u00a0– et 5\u00a0€');
    // A capitalised word and the number after it are tied ("Résolution 140", "May 2016"): the
    // space stays a space, with a word joiner after it; not after a lower-case word or an acronym,
    // nor before a longer number.
    expect(keepTogether('la Résolution 140, la Resolución 1332, Резолюции 140, in May 2016, en mayo de 2016, CMSI 2022, page 12, Studies 12345')).toBe(
      'la Résolution \u2060140, la Resolución \u20601332, Резолюции \u2060140, in May \u20602016, en mayo de 2016, CMSI 2022, page 12, Studies 12345',
    );
    const reference = 'Le Fonds a été créé en 2011 en application de la Résolution 140 de la Conférence de plénipotentiaires.';
    let hyphenated = 0;
    for (let width = 80; width < 420; width += 0.5) {
      for (const hyphenation of [undefined, { hyphenator: hyphenatorFor('fr')!, keep: new Set<string>() }]) {
        const lines = breakLines([run(reference)], width, 'justify', 'ltr', hyphenation).map((l) => l.segments.map((s) => s.text).join('').trim());
        for (const l of lines) expect(l).not.toMatch(/Résolution$/);
        // The word tied to its number may still be hyphenated, as it could be alone: "Réso-" | "lution 140".
        hyphenated += lines.filter((l) => /Ré\p{L}*\u00ad$/u.test(l)).length;
      }
    }
    expect(hyphenated).toBeGreaterThan(0);
    // Other numbers keep their spaces: a year and a count, a date, a number of four digits.
    expect(keepTogether('en 2021 2 000 pays, le 3 septembre, 1332 ou 12 3456')).toBe('en 2021 2\u00a0000 pays, le 3 septembre, 1332 ou 12 3456');
    // A number longer than the line (no place to break but inside it) is cut between its groups.
    const long = `1 ${Array(30).fill('000').join(' ')}`;
    const cut = breakLines([run(long)], 100, 'start').map((l) => l.segments.map((s) => s.text).join(''));
    expect(cut.length).toBeGreaterThan(3);
    for (const l of cut) expect(l).toMatch(/^\d{1,3}(\u00a0\d{3})*\u00a0?$/);
    expect(cut.join('')).toBe(keepTogether(long));
    // In a justified line the spaces between words are widened (the renderer widens U+0020 only)
    // and the group's no-break space is not.
    const [first] = breakLines([run(text)], 250, 'justify');
    const segment = first.segments.find((s) => s.text.includes('50\u00a0000'));
    expect(segment?.wordSpacing).toBeGreaterThan(0);
  });

  it('never ends a line with a hyphen of a link or an address ("wsis-|fund@example.org"), and still after a hyphen of a word', () => {
    const runs = [
      run('To confirm a package, or to agree on another form of co-operation, write to '),
      run('wsis-fund@example.org', regular, 'mailto:wsis-fund@example.org'),
      run(' or see '),
      run('https://www.example.org/wsis-forum-2022/partner-packages', regular, 'https://www.example.org/wsis-forum-2022/partner-packages'),
      run(' by 31 January 2022; the secretariat replies within two weeks, with a well-known co-signed agreement '),
      run('(contact: info-desk@wsis-fund.example.org, www.wsis-forum.example.org/partner-packages).'),
    ];
    let checked = 0;
    let textHyphen = 0;
    for (let width = 140; width < 500; width += 0.5) {
      for (const align of ['start', 'justify'] as const) {
        const lines = breakLines(runs, width, align);
        for (const line of lines.slice(0, -1)) {
          const last = line.segments[line.segments.length - 1];
          if (last.text.endsWith('-')) {
            expect(last.link).toBeUndefined();
            // Nor an address written out without a link.
            expect(last.text).not.toMatch(/(info|wsis)-$/);
            textHyphen++;
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(textHyphen).toBeGreaterThan(10);
    // An address too long for its line is cut after a slash or before a dot, hyphen or @, which
    // begins the next line, not between two letters.
    const address = 'trust-fund-secretariat@telecommunication-union.example.org';
    const url = 'https://www.example.org/net4/wsis/forum/2021/Home/Outcomes-and-highlights';
    for (const [text, width] of [[address, 110], [address, 130], [address, 150], [url, 90], [url, 130]] as const) {
      const lines = breakLines([run(text, regular, 'https://example.org/')], width, 'start').map((l) => l.segments.map((s) => s.text).join(''));
      expect(lines.join('')).toBe(text);
      expect(lines.length).toBeGreaterThan(2);
      for (let i = 1; i < lines.length; i++) expect(`${lines[i - 1].slice(-1)}|${lines[i][0]}`).toMatch(/^\/\||\|[-.@]$/);
    }
  });

  it('never ends a Russian line with a one-letter preposition or conjunction, also where the next word is a link, and widens that space as any other', () => {
    const pattern = language('ru').noBreakAfter as RegExp;
    const runs = [
      run('Я признателен всем заинтересованным сторонам за доверие и неизменную поддержку, в особенности тем, кто внес вклад в '),
      run('Целевой фонд ВВУИО', regular, 'https://example.org/'),
      run(', что помогло Форуму адаптироваться к новой ситуации и к  новому формату. С отчетами о Форуме, а также о взносах, у вас есть возможность ознакомиться.'),
    ];
    const glued = glueWords(runs, pattern);
    const text = (rs: StyledRun[]) => rs.map((r) => r.text).join('');
    // Each one-letter word is tied to the next by a space and a word joiner (two spaces become one).
    expect(text(glued)).toContain('вклад в \u2060Целевой');
    expect(glued[1]).toBe(runs[1]);
    expect(text(glued)).toContain('ситуации и \u2060к \u2060новому');
    expect(text(glued)).toContain('Я \u2060признателен');
    expect(text(glued).replace(/\u2060/g, '')).toBe(text(runs).replace('к  новому', 'к новому'));
    let checked = 0;
    let widened = 0;
    for (let width = 120; width < 420; width += 0.5) {
      for (const align of ['start', 'justify'] as const) {
        const lines = breakLines(glued, width, align);
        for (const line of lines.slice(0, -1)) {
          const drawn = line.segments.map((s) => s.text).join('');
          // The joiner is never drawn; the tie is an ordinary space, widened when justifying.
          expect(drawn).not.toContain('\u2060');
          expect(drawn.trim()).not.toMatch(/(^|\s)[авиксуоя]$/i);
          if (align === 'justify' && /(^|\s)[авиксуоя] /i.test(drawn) && line.segments.every((s) => s.wordSpacing > 0)) widened++;
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(widened).toBeGreaterThan(100);
    // The word after a tie may still be hyphenated ("и пригла-" | "сить"), as the same word
    // elsewhere is; the recipient's words are not.
    const paragraph = [run('Я хотел бы также призвать всех Членов МСЭ, а также другие стороны вносить взносы в Целевой фонд на 2022 год и пригласить все заинтересованные стороны стать партнерами Форума в Женеве.')];
    const ru = (keep: string[]): Hyphenation => ({ hyphenator: hyphenatorFor('ru')!, keep: new Set(keep) });
    const afterTie = (keep: string[]) => {
      let n = 0;
      for (let width = 150; width < 420; width += 0.5) {
        for (const line of breakLines(glueWords(paragraph, pattern), width, 'justify', 'ltr', ru(keep)).slice(0, -1)) {
          const drawn = line.segments.map((s) => s.text).join('');
          if (/(^|\s)[авиксуоя] \p{L}+\u00ad$/iu.test(drawn)) n++;
        }
      }
      return n;
    };
    expect(afterTie([])).toBeGreaterThan(5);
    expect(afterTie(['пригласить', 'целевой', 'женеве'])).toBe(0);
    // Not an initial, a letter inside a word or at the end of a paragraph, nor a hard line break.
    const other = 'А. С. Иванов и\nПетров, пункт 3 а), вход В, и';
    expect(text(glueWords([run(other)], pattern))).toBe(other);
    expect(text(glueWords([run('и т. д.')], pattern))).toBe('и \u2060т. д.');
    // A gap that runs on from one run into the next: the tie in the first, the rest dropped.
    expect(glueWords([run('внес в  '), run('  Фонд и'), run(' я')], pattern).map((r) => r.text)).toEqual(['внес в \u2060', 'Фонд и', ' \u2060я']);
    expect(glueWords([run('внес в'), run('  Фонд')], pattern).map((r) => r.text)).toEqual(['внес в', ' \u2060Фонд']);
    // Only Russian has such words.
    for (const code of supportedLanguages()) if (code !== 'ru') expect(language(code).noBreakAfter).toBeUndefined();
  });

  it('breaks a justified paragraph as a whole: its loosest line is no looser than filling line by line gives', () => {
    const normal = measure(regular, ' ', 11);
    const body = readFileSync(path.join(__dirname, '..', '..', 'templates', 'wsis-trust-fund-2022', 'en', 'letter.md'), 'utf8')
      .replace(/^---[\s\S]*?---/, '')
      .split(/\n\s*\n/)
      .map((t) => t.replace(/\{\{[^}]*\}\}|[<>]|\[|\]\([^)]*\)/g, '').replace(/\s+/g, ' ').trim())
      .filter((t) => t.length > 200);
    expect(body.length).toBeGreaterThan(2);
    let better = 0;
    for (const text of body) {
      for (const width of [300, 400, 471]) {
        const loosest = (lines: ReturnType<typeof breakLines>) =>
          Math.max(
            ...lines.slice(0, -1).map((l) => {
              const spaces = l.segments.reduce((n, x) => n + (x.text.trimEnd().match(/ /g) ?? []).length, 0);
              return spaces ? (width - l.naturalWidth) / spaces / normal : 0;
            }),
          );
        const even = loosest(breakLines([run(text)], width, 'justify'));
        const greedy = loosest(breakLines([run(text)], width, 'start'));
        expect(even).toBeLessThanOrEqual(greedy + 1e-9);
        if (even < greedy - 0.05) better++;
      }
    }
    expect(better).toBeGreaterThan(0);
  });

  describe('hyphenation', () => {
    const hyph = (lang: string, keep: string[] = []): Hyphenation => ({ hyphenator: hyphenatorFor(lang)!, keep: new Set(keep) });
    const textOf = (line: Line) => line.segments.map((s) => s.text).join('');
    /** The paragraph's text back from its lines: a hyphenated end joins the next line, a line that ended at a space gets it back. */
    const rejoin = (lines: Line[]) => lines.map((l) => (textOf(l).endsWith(SOFT_HYPHEN) ? textOf(l).slice(0, -1) : textOf(l) + (l.spaceAfter ? ' ' : ''))).join('');
    /** The words broken at line ends, as [before, after]. */
    const breaks = (lines: Line[]) =>
      lines.slice(0, -1).flatMap((l, i) => (textOf(l).endsWith(SOFT_HYPHEN) ? [[textOf(l).slice(0, -1).split(' ').pop()!, textOf(lines[i + 1]).split(/[ ,.;:]/)[0]]] : []));
    const body = (lang: string) =>
      readFileSync(path.join(__dirname, '..', '..', 'templates', 'wsis-trust-fund-2022', lang, 'letter.md'), 'utf8')
        .replace(/^---[\s\S]*?---/, '')
        .split(/\n\s*\n/)
        .map((t) => t.replace(/\{\{[^}]*\}\}|[<>]|\[|\]\([^)]*\)/g, '').replace(/\s+/g, ' ').trim())
        .filter((t) => t.length > 200);

    it('breaks words only at their language\'s hyphenation points, two letters before and three after at least, and loses nothing', () => {
      let hyphens = 0;
      for (const lang of ['es', 'en', 'fr', 'ru']) {
        const face = regular;
        for (const text of body(lang)) {
          for (const width of [200, 300, 471]) {
            const lines = breakLines([{ text, faces: [face], size: 11, color: '#000' }], width, 'justify', 'ltr', hyph(lang));
            // (A space between digit groups is drawn as a no-break space, and a word joiner that
            // ties a word to its number is not drawn: keepTogether.)
            expect(rejoin(lines)).toBe(keepTogether(text).replace(/\u2060/g, ''));
            for (const [before, after] of breaks(lines)) {
              hyphens++;
              const word = (before + after).toLowerCase();
              expect(before.length).toBeGreaterThanOrEqual(LEFT_MIN);
              expect(after.length).toBeGreaterThanOrEqual(RIGHT_MIN);
              expect(hyphenatorFor(lang)!.points(word.replace(/^\P{L}+/u, ''))).toContain(before.replace(/^\P{L}+/u, '').length);
            }
            // Every line but the last reaches the measure exactly, hyphen included.
            for (const l of lines.slice(0, -1)) {
              const last = l.segments[l.segments.length - 1];
              if (l.segments.some((s) => s.text.includes(' '))) expect(last.x + last.width).toBeCloseTo(width, 3);
            }
          }
        }
      }
      expect(hyphens).toBeGreaterThan(20);
    });

    it('spaces justified lines more evenly than without it, never shrinking a space below two thirds', () => {
      const normal = measure(regular, ' ', 11);
      const spacing = (lines: Line[]) =>
        lines.slice(0, -1).filter((l) => l.segments.some((s) => / ./.test(s.text.trimEnd()))).map((l) => 1 + l.segments[0].wordSpacing / normal);
      const withIt: number[] = [];
      const without: number[] = [];
      for (const lang of ['es', 'en', 'fr', 'ru']) {
        for (const text of body(lang)) {
          for (const width of [300, 400, 471]) {
            withIt.push(...spacing(breakLines([run(text)], width, 'justify', 'ltr', hyph(lang))));
            without.push(...spacing(breakLines([run(text)], width, 'justify')));
          }
        }
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(Math.min(...withIt)).toBeGreaterThanOrEqual(2 / 3 - 1e-9);
      expect(Math.max(...withIt)).toBeLessThan(Math.max(...without) - 0.3);
      expect(mean(withIt)).toBeLessThan(mean(without));
    });

    it('draws no soft hyphen typed in the text, at a line end or inside a word', () => {
      const lines = breakLines([run('Estimado señor Gu\u00adtié\u00adrrez\u00ad y señora Pé\u00adrez\u00ad')], 471, 'justify', 'ltr', hyph('es'));
      expect(lines.map(textOf)).toEqual(['Estimado señor Gutiérrez y señora Pérez']);
    });

    it('leaves a word typed with combining accents whole', () => {
      const decomposed = 'informacio\u0301n comunicacio\u0301n participacio\u0301n organizacio\u0301n '.repeat(6);
      let broken = 0;
      for (let width = 150; width <= 300; width += 10) {
        const lines = breakLines([run(decomposed.normalize('NFC'))], width, 'justify', 'ltr', hyph('es'));
        broken += breaks(lines).length;
        expect(breaks(breakLines([run(decomposed)], width, 'justify', 'ltr', hyph('es')))).toEqual([]);
      }
      // The same words, composed, are broken.
      expect(broken).toBeGreaterThan(0);
    });

    it('never breaks the recipient\'s words, acronyms, links, numbers or addresses', () => {
      const name = 'Gutiérrez Villalobos';
      const keep = keptWords([name], ['directora de Telecomunicaciones', 'Universidad Internacional']);
      expect(keep).toEqual(['gutiérrez', 'internacional', 'telecomunicaciones', 'universidad', 'villalobos']);
      const text =
        'Estimada señora Gutiérrez Villalobos: la Universidad Internacional de Telecomunicaciones y la UNESCOCOMISION ' +
        'recibieron 1234567890 aportaciones en info@organizacion.example, ';
      const link = 'https://www.example.org/contribuciones/informacion';
      const words = ['Gutiérrez', 'Villalobos', 'Universidad', 'Internacional', 'Telecomunicaciones', 'UNESCOCOMISION', '1234567890', 'info@organizacion.example', link];
      const broken = (b: string, a: string) => words.filter((w) => w.includes(b + a));
      const unknown: string[] = [];
      for (let width = 170; width <= 320; width += 5) {
        const runs = [run(text), run(link, regular, link), run(' extraordinariamente.')];
        for (const [b, a] of breaks(breakLines(runs, width, 'justify', 'ltr', hyph('es', keep)))) expect(broken(b, a)).toEqual([]);
        // Not known to be the recipient's, the same names are broken at some widths.
        for (const [b, a] of breaks(breakLines(runs, width, 'justify', 'ltr', hyph('es')))) unknown.push(...broken(b, a));
      }
      expect(unknown).toContain('Telecomunicaciones');
    });
  });
});
