import { formatLetterDate, language, normaliseGender, salutation } from '../../src/i18n/languages';

describe('languages', () => {
  const day = new Date(2021, 8, 3);

  it('writes the date line as the organisation does', () => {
    const es = language('es');
    const en = language('en');
    expect(es.dateLine(es.places.Geneva, formatLetterDate(es, day))).toBe('Ginebra, 3 de septiembre de 2021');
    expect(en.dateLine(en.places.Geneva, formatLetterDate(en, day))).toBe('Geneva, 3 September 2021');
  });

  it.each([
    ['es', 'female', '', 'Muy Señora mía:'],
    ['es', 'male', 'Sr.', 'Muy Señor mío:'],
    ['es', '', '', 'Muy Señora mía/Muy Señor mío:'],
    ['es', 'female', 'Excma. Sra.', 'Excelentísima Señora:'],
    ['en', 'female', 'Ms', 'Dear Madam,'],
    ['en', 'male', 'Mr', 'Dear Sir,'],
    ['en', '', '', 'Dear Sir/Madam,'],
    ['en', 'male', 'H.E. Mr', 'Excellency,'],
  ])('salutation in %s for gender "%s" and title "%s"', (code, gender, title, expected) => {
    const lang = language(code);
    expect(salutation(lang.labels, lang, { gender: normaliseGender(gender) ?? '', title, last_name: 'Petrov' })).toBe(expected);
  });

  it('accepts the usual spellings of gender', () => {
    expect(['F', 'female', ' Female '].map(normaliseGender)).toEqual(['female', 'female', 'female']);
    expect(['M', 'male'].map(normaliseGender)).toEqual(['male', 'male']);
    expect(normaliseGender('')).toBe('');
    // A word it does not know is not taken silently as neutral: the row fails with a message.
    expect(['x', 'other'].map(normaliseGender)).toEqual([undefined, undefined]);
  });
});
