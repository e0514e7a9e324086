import { HealthSections } from './health-sections';

describe('HealthSections', () => {
  it('reads every section on each check, and a failing one as unavailable without hiding the others', async () => {
    const sections = new HealthSections();
    let agents = 1;
    sections.add('printing', () => ({ agentsHere: agents }));
    sections.add('webhooks', () => Promise.reject(new Error('Redis is gone')));
    expect(await sections.read()).toEqual({ printing: { agentsHere: 1 }, webhooks: 'unavailable: Redis is gone' });
    agents = 2;
    expect((await sections.read()).printing).toEqual({ agentsHere: 2 });
  });

  it('refuses a key registered twice', () => {
    const sections = new HealthSections();
    sections.add('printing', () => 1);
    expect(() => sections.add('printing', () => 2)).toThrow(/twice/);
  });
});
