import { parseMarkdown } from '../../src/markup/markdown';
import type { Block, Run } from '../../src/markup/markdown';
import { language } from '../../src/i18n/languages';
import { layoutDocument } from '../../src/layout/letter';

describe('parseMarkdown', () => {
  it('turns paragraphs, emphasis and links into runs', () => {
    const blocks = parseMarkdown('Hello **bold** and *it* [link](https://a.example/x)\nnext\n\nSecond  <https://b.example>');
    expect(blocks).toEqual([
      {
        kind: 'paragraph',
        runs: [
          { text: 'Hello ', bold: false, italic: false },
          { text: 'bold', bold: true, italic: false },
          { text: ' and ', bold: false, italic: false },
          { text: 'it', bold: false, italic: true },
          { text: ' ', bold: false, italic: false },
          { text: 'link', bold: false, italic: false, link: 'https://a.example/x' },
          { text: ' next', bold: false, italic: false },
        ],
      },
      {
        kind: 'paragraph',
        runs: [
          { text: 'Second  ', bold: false, italic: false },
          { text: 'https://b.example', bold: false, italic: false, link: 'https://b.example' },
        ],
      },
    ]);
  });

  it('reads a paragraph whose first line is indented (four spaces, a tab) as a paragraph, not as code', () => {
    // As code, its link and bold were printed as typed: "[the Fund](https://…)".
    const link = { text: 'the Fund', bold: false, italic: false, link: 'https://a.example/fund' };
    expect(parseMarkdown('    We thank [the Fund](https://a.example/fund) **warmly**.\n\n\tNext.\n\n- item\n\n        indented in the item')).toEqual([
      { kind: 'paragraph', runs: [{ text: 'We thank ', bold: false, italic: false }, link, { text: ' ', bold: false, italic: false }, { text: 'warmly', bold: true, italic: false }, { text: '.', bold: false, italic: false }] },
      { kind: 'paragraph', runs: [{ text: 'Next.', bold: false, italic: false }] },
      { kind: 'list', ordered: false, start: 1, items: [[{ kind: 'paragraph', runs: [{ text: 'item', bold: false, italic: false }] }, { kind: 'paragraph', runs: [{ text: 'indented in the item', bold: false, italic: false }] }]] },
    ]);
  });

  it('reads lists and hard breaks', () => {
    const blocks = parseMarkdown('- one\n- two\n\n3. three\n\nline  \nbreak');
    expect(blocks[0]).toMatchObject({ kind: 'list', ordered: false, items: [[{ kind: 'paragraph' }], [{ kind: 'paragraph' }]] });
    expect(blocks[1]).toMatchObject({ kind: 'list', ordered: true, start: 3 });
    expect(blocks[2]).toMatchObject({ kind: 'paragraph', runs: [{ text: 'line' }, { text: '\n' }, { text: 'break' }] });
  });

  it('numbers a list as it is written, "1)" or "1." (a list typed "1) primero" was printed "1. primero")', () => {
    const blocks = parseMarkdown('1) primero\n2) segundo\n\n4. cuarto\n');
    expect(blocks[0]).toMatchObject({ kind: 'list', ordered: true, start: 1, delimiter: ')' });
    expect(blocks[1]).toMatchObject({ kind: 'list', ordered: true, start: 4 });
    expect(blocks[1]).not.toHaveProperty('delimiter');
    const es = language('es');
    const layout = layoutDocument({ lang: es, labels: es.labels, organization: 'Organización', footer: '', title: 'Lista' }, blocks);
    const texts = layout.pages.flatMap((p) => p.items.flatMap((i) => (i.kind === 'text' ? [i.text] : [])));
    expect(texts).toEqual(expect.arrayContaining(['1)', '2)', '4.']));
    expect(texts).not.toContain('1.');
  });

  it('keeps raw HTML as text', () => {
    expect(parseMarkdown('<script>x</script> y')).toEqual([
      { kind: 'paragraph', runs: [{ text: '<script>x</script> y', bold: false, italic: false }] },
    ]);
  });

  it('hands every letter with the same body the same blocks, which no one can change', () => {
    const source = '- **one**\n\n> two [link](https://a.example)';
    const first = parseMarkdown(source);
    expect(parseMarkdown(source)).toBe(first);
    const list = first[0] as Extract<Block, { kind: 'list' }>;
    const para = list.items[0][0] as Extract<Block, { kind: 'paragraph' }>;
    expect(() => {
      (para.runs[0] as Run).text = 'changed';
    }).toThrow(TypeError);
    expect(() => (para.runs as Run[]).push({ text: 'x', bold: false, italic: false })).toThrow(TypeError);
    expect(parseMarkdown(source)).toEqual(parseMarkdown(`${source}\n`));
  });
});
