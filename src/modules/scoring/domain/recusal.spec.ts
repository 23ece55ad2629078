import { enterpriseOf, isRecused } from './recusal';

// city ─ county ─ ent1 ─ team1
//             └─ ent2
const path = { city: '/city/', county: '/city/county/', ent1: '/city/county/ent1/', team1: '/city/county/ent1/team1/', ent2: '/city/county/ent2/' };
const emp = (id: keyof typeof path) => ({ id, path: path[id] });

describe('judge recusal (回避)', () => {
  it.each([
    ['a judge of the contestant’s own employer', { organizationId: 'ent1', enterpriseId: 'ent1' }, emp('ent1'), true],
    ['a judge of the enterprise marking one of its teams', { organizationId: 'ent1', enterpriseId: 'ent1' }, emp('team1'), true],
    ['a judge of a team marking its enterprise', { organizationId: 'team1', enterpriseId: 'ent1' }, emp('ent1'), true],
    ['a judge of another enterprise', { organizationId: 'ent2', enterpriseId: 'ent2' }, emp('team1'), false],
    ['a county-union judge marking an enterprise worker', { organizationId: 'county', enterpriseId: null }, emp('ent1'), false],
    ['a county-union judge marking a worker of the county union itself', { organizationId: 'county', enterpriseId: null }, emp('county'), true],
    ['a judge without organization', { organizationId: null, enterpriseId: null }, emp('ent1'), false],
  ])('%s: recused %s', (_, judge, employer, expected) => {
    expect(isRecused(judge, employer)).toBe(expected);
  });

  it.each([
    [[{ id: 'city', level: 'city' }, { id: 'county', level: 'county' }, { id: 'ent1', level: 'enterprise' }, { id: 'team1', level: 'team' }], 'ent1'],
    [[{ id: 'city', level: 'city' }, { id: 'ent1', level: 'enterprise' }], 'ent1'],
    [[{ id: 'city', level: 'city' }, { id: 'county', level: 'county' }], null],
    [[], null],
  ])('finds the enterprise in a chain (%#)', (chain, expected) => {
    expect(enterpriseOf(chain)).toBe(expected);
  });
});
