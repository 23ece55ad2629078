import { ageOn, checkIdNumber, computeCheckDigit } from './id-number';

// Fixed local "today" so future-date cases don't drift with the wall clock.
const TODAY = new Date(2025, 5, 15, 12, 0, 0);

/** Appends the correct check character, so a case fails (or passes) only on the rule it targets. */
const withCheck = (first17: string): string => first17 + computeCheckDigit(first17);

describe('computeCheckDigit', () => {
  it.each([
    ['11010519491231002', 'X'], // GB 11643 published sample
    ['11010119900307447', '7'],
    ['33010219900101123', '4'],
    ['11010519000101001', 'X'],
  ])('%s → %s', (first17, expected) => {
    expect(computeCheckDigit(first17)).toBe(expected);
  });

  it.each(['', '1101051949123100', '110105194912310021', '1101051949123100X'])(
    'refuses non-17-digit input %p',
    (bad) => {
      expect(() => computeCheckDigit(bad)).toThrow(RangeError);
    },
  );
});

describe('checkIdNumber', () => {
  describe('rejects', () => {
    it.each([
      ['empty string', '', 'must be 18 characters'],
      ['17 characters', '11010519491231002', 'must be 18 characters'],
      ['19 characters', '11010519491231002X0', 'must be 18 characters'],
      ['15-digit legacy number', '110105491231002', 'must be 18 characters'],
      ['surrounding whitespace', ' 11010519491231002X', 'must be 18 characters'],
      ['a letter in the body', '1101051949123A002X', 'must be 17 digits followed by a digit or X'],
      ['X before the last position', 'X10105194912310027', 'must be 17 digits followed by a digit or X'],
      ['a letter other than X last', '11010519491231002Y', 'must be 17 digits followed by a digit or X'],
      ['full-width digits', '１１０１０５１９４９１２３１００２Ｘ', 'must be 17 digits followed by a digit or X'],
      ['wrong check digit', '110101199003074478', 'check digit is wrong'],
      ['digit where X is expected', '110105194912310020', 'check digit is wrong'],
      ['X where a digit is expected', '11010119900307447X', 'check digit is wrong'],
      ['a transposed body digit', '110105194912310200', 'check digit is wrong'],
    ])('%s', (_label, raw, reason) => {
      expect(checkIdNumber(raw, TODAY)).toEqual({ ok: false, reason });
    });

    it.each([
      ['30 February', '19990230'],
      ['month 13', '19991301'],
      ['month 00', '19990001'],
      ['day 00', '19990100'],
      ['31 April', '19990431'],
      ['31 November', '19991131'],
      ['32 January', '19990132'],
      ['29 February 1900 (century, not leap)', '19000229'],
      ['29 February 2023', '20230229'],
    ])('an impossible birth date: %s', (_label, ymd) => {
      expect(checkIdNumber(withCheck(`110105${ymd}001`), TODAY)).toEqual({
        ok: false,
        reason: `birth date ${ymd} is not a real date`,
      });
    });

    it('a birth year before 1900', () => {
      expect(checkIdNumber(withCheck('11010518991231001'), TODAY)).toEqual({
        ok: false,
        reason: 'birth date 18991231 is before 1900',
      });
    });

    it.each([
      ['tomorrow', '20250616'],
      ['next year', '20260101'],
    ])('a birth date in the future (%s)', (_label, ymd) => {
      expect(checkIdNumber(withCheck(`110105${ymd}001`), TODAY)).toEqual({
        ok: false,
        reason: 'birth date is in the future',
      });
    });
  });

  describe('accepts', () => {
    it.each([
      ['published sample with X', '11010519491231002X', '1949-12-31', 'F', '11010519491231002X'],
      ['lowercase x, normalized to X', '11010519491231002x', '1949-12-31', 'F', '11010519491231002X'],
      ['all-digit number', '110101199003074477', '1990-03-07', 'M', '110101199003074477'],
      ['earliest allowed year', '11010519000101001X', '1900-01-01', 'M', '11010519000101001X'],
      ['29 February 2000 (400-year leap)', '110105200002290013', '2000-02-29', 'M', '110105200002290013'],
      ['even sequence digit', '110105200808080023', '2008-08-08', 'F', '110105200808080023'],
    ])('%s', (_label, raw, birthDate, gender, normalized) => {
      expect(checkIdNumber(raw, TODAY)).toEqual({ ok: true, birthDate, gender, normalized });
    });

    it('a baby born today', () => {
      const result = checkIdNumber(withCheck('11010520250615001'), TODAY);
      expect(result).toMatchObject({ ok: true, birthDate: '2025-06-15' });
    });

    it('defaults "today" to now', () => {
      expect(checkIdNumber('110101199003074477').ok).toBe(true);
      expect(checkIdNumber(withCheck('11010529991231001'))).toEqual({
        ok: false,
        reason: 'birth date is in the future',
      });
    });
  });

  it.each([
    ['0', 'F'],
    ['1', 'M'],
    ['2', 'F'],
    ['3', 'M'],
    ['4', 'F'],
    ['5', 'M'],
    ['6', 'F'],
    ['7', 'M'],
    ['8', 'F'],
    ['9', 'M'],
  ])('17th digit %s means gender %s', (digit, gender) => {
    const result = checkIdNumber(withCheck(`1101051990010100${digit}`), TODAY);
    expect(result).toMatchObject({ ok: true, gender });
  });
});

describe('ageOn', () => {
  it.each([
    ['the day before the birthday', '1990-03-07', new Date(2020, 2, 6), 29],
    ['on the birthday', '1990-03-07', new Date(2020, 2, 7), 30],
    ['the day after the birthday', '1990-03-07', new Date(2020, 2, 8), 30],
    ['earlier month, later day', '1990-03-07', new Date(2020, 1, 28), 29],
    ['later month, earlier day', '1990-03-07', new Date(2020, 3, 1), 30],
    ['the day of birth', '2025-06-15', new Date(2025, 5, 15), 0],
    ['late on the eve of the birthday', '1990-03-07', new Date(2020, 2, 6, 23, 59, 59), 29],
    ['new year after a December birthday', '1949-12-31', new Date(2000, 0, 1), 50],
    ['Feb 29 birthday on Feb 28 of a non-leap year', '2000-02-29', new Date(2023, 1, 28), 22],
    ['Feb 29 birthday on Mar 1 of a non-leap year', '2000-02-29', new Date(2023, 2, 1), 23],
    ['Feb 29 birthday on Feb 29 of a leap year', '2000-02-29', new Date(2024, 1, 29), 24],
  ])('%s', (_label, birthDate, on, expected) => {
    expect(ageOn(birthDate, on)).toBe(expected);
  });

  it('rejects a malformed birth date', () => {
    expect(() => ageOn('19900307', new Date(2020, 0, 1))).toThrow(RangeError);
  });
});
