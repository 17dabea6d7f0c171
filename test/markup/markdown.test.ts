import { parseMarkdown } from '../../src/markup/markdown';

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

  it('reads lists and hard breaks', () => {
    const blocks = parseMarkdown('- one\n- two\n\n3. three\n\nline  \nbreak');
    expect(blocks[0]).toMatchObject({ kind: 'list', ordered: false, items: [[{ kind: 'paragraph' }], [{ kind: 'paragraph' }]] });
    expect(blocks[1]).toMatchObject({ kind: 'list', ordered: true, start: 3 });
    expect(blocks[2]).toMatchObject({ kind: 'paragraph', runs: [{ text: 'line' }, { text: '\n' }, { text: 'break' }] });
  });

  it('keeps raw HTML as text', () => {
    expect(parseMarkdown('<script>x</script> y')).toEqual([
      { kind: 'paragraph', runs: [{ text: '<script>x</script> y', bold: false, italic: false }] },
    ]);
  });
});
