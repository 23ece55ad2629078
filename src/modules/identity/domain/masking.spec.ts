import { maskIdNumber, maskName, maskPhone } from './masking';

describe('maskIdNumber', () => {
  it.each([
    ['', ''],
    ['12345678', '********'],
    ['123456789', '1234**********6789'],
    ['330102199001011234', '3301**********1234'],
    ['11010519491231002X', '1101**********002X'],
    ['110105491231002', '1101**********1002'], // legacy 15-digit: same star count, length not revealed
  ])('%p → %p', (id, masked) => {
    expect(maskIdNumber(id)).toBe(masked);
  });
});

describe('maskName', () => {
  it.each([
    ['', ''],
    ['张', '*'],
    ['张三', '张*'],
    ['张小明', '张*明'],
    ['欧阳小明', '欧**明'],
    ['阿依古丽·买买提', '阿******提'],
    // 𠇔 is U+201D4, two UTF-16 units: must count as one character.
    ['𠇔', '*'],
    ['𠇔三', '𠇔*'],
    ['张𠇔', '张*'],
    ['𠇔小明', '𠇔*明'],
    ['张小𠇔', '张*𠇔'],
    ['Li', 'L*'],
  ])('%p → %p', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  it('never leaves a lone surrogate behind', () => {
    const masked = maskName('𠇔𠇔𠇔');
    expect(masked).toBe('𠇔*𠇔');
    expect(masked).not.toMatch(/\p{Cs}/u); // with the u flag only unpaired surrogates match
  });
});

describe('maskPhone', () => {
  it.each([
    ['13812345678', '138****5678'],
    ['19900001111', '199****1111'],
    // Not a mainland mobile: only the last 2 stay visible.
    ['01012345678', '*********78'],
    ['23812345678', '*********78'],
    ['1381234567', '********67'],
    ['138123456789', '**********89'],
    ['+8613812345678', '************78'],
    ['010-12345678', '**********78'],
    ['123', '*23'],
    ['12', '**'],
    ['1', '*'],
    ['', ''],
  ])('%p → %p', (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
  });
});
