import { nominatingOrgId } from './nomination';

describe('nominating organization', () => {
  it.each([
    ['employer is the root itself', '/city/', 'city', '/city/', 'city'],
    ['employer is a child of the root', '/city/', 'city', '/city/county/', 'county'],
    ['employer is deep below a child', '/city/', 'city', '/city/county/ent/team/', 'county'],
    ['root is not the tree root', '/prov/city/', 'city', '/prov/city/county/ent/', 'county'],
  ])('%s', (_, rootPath, rootId, employerPath, expected) => {
    expect(nominatingOrgId(rootPath, rootId, employerPath)).toBe(expected);
  });

  it.each([
    ['a sibling subtree', '/city/a/', 'a', '/city/b/x/'],
    ['a sibling whose id starts with the root id', '/city/a/', 'a', '/city/ab/x/'],
    ['the root’s parent', '/city/a/', 'a', '/city/'],
  ])('is undefined for an employer in %s', (_, rootPath, rootId, employerPath) => {
    expect(nominatingOrgId(rootPath, rootId, employerPath)).toBeUndefined();
  });
});
