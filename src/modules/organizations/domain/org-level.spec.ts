import { canBeChildOf, childPath, isWithin } from './org-level';

describe('organization tree rules', () => {
  it.each([
    ['team', 'enterprise', true],
    ['enterprise', 'city', true],
    ['city', 'city', false],
    ['province', 'city', false],
    ['national', 'team', false],
  ] as const)('a %s under a %s is allowed: %s', (child, parent, ok) => {
    expect(canBeChildOf(child, parent)).toBe(ok);
  });

  it('builds paths and tests subtree membership by prefix', () => {
    const root = childPath(null, 'a');
    const child = childPath(root, 'b');
    expect(root).toBe('/a/');
    expect(child).toBe('/a/b/');
    expect(isWithin(child, root)).toBe(true);
    expect(isWithin(root, root)).toBe(true);
    expect(isWithin(root, child)).toBe(false);
    expect(isWithin('/ab/', '/a/')).toBe(false);
  });
});
