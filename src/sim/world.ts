// The simulated B2B market's people and companies: accounts with industries and sizes, contacts with
// roles, time zones on several continents and lifecycle stages, plus each person's hidden traits
// (how responsive they are, how likely to buy anyway) that only the simulator knows.
import { Random } from './random.js';

export interface WorldAccount {
  externalId: string;
  domain: string;
  name: string;
  industry: string;
  size: number;
  owner: string;
  target: boolean;
}

export interface WorldContact {
  externalId: string;
  email: string;
  firstName: string;
  lastName: string;
  title: string;
  timeZone: string;
  lifecycleStage: string;
  account: WorldAccount;
  /** Hidden: multiplies open/click/reply probabilities (1 = average). */
  responsiveness: number;
  /** Hidden: multiplies the baseline (untouched) conversion hazard. */
  propensity: number;
  /** Viewed the pricing page recently (becomes real events before the campaigns start). */
  pricingViews: number;
}

export interface World {
  seed: string;
  accounts: WorldAccount[];
  contacts: WorldContact[];
}

export interface WorldSize {
  accounts: number;
  contactsPerAccount: number;
}

const ZONES: ReadonlyArray<readonly [string, number]> = [
  ['America/New_York', 22],
  ['America/Chicago', 10],
  ['America/Los_Angeles', 12],
  ['America/Sao_Paulo', 5],
  ['Europe/London', 12],
  ['Europe/Berlin', 10],
  ['Europe/Paris', 6],
  ['Asia/Kolkata', 6],
  ['Asia/Singapore', 5],
  ['Asia/Tokyo', 5],
  ['Australia/Sydney', 7],
];
const INDUSTRIES = ['SaaS', 'Fintech', 'Healthcare', 'Retail', 'Manufacturing', 'Media', 'Logistics'];
const TITLES: ReadonlyArray<readonly [string, number]> = [
  ['VP Marketing', 6],
  ['Director of Marketing', 8],
  ['Director of Sales', 8],
  ['Head of Growth', 6],
  ['Marketing Manager', 18],
  ['Revenue Operations Manager', 10],
  ['Sales Development Representative', 12],
  ['CTO', 4],
  ['Director of Operations', 6],
  ['Data Analyst', 12],
  ['Founder', 4],
];
const STAGES: ReadonlyArray<readonly [string, number]> = [
  ['subscriber', 15],
  ['lead', 45],
  ['mql', 20],
  ['sql', 8],
  ['customer', 12],
];
const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Linus',
  'Margaret',
  'Ken',
  'Barbara',
  'Dennis',
  'Radia',
  'Tim',
  'Frances',
  'Edsger',
  'Hedy',
  'John',
  'Katherine',
  'Yukihiro',
  'Sophie',
  'Guido',
  'Anita',
  'Bjarne',
  'Lea',
  'Mateo',
  'Priya',
  'Kenji',
  'Amara',
  'Lucas',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Torvalds',
  'Hamilton',
  'Thompson',
  'Liskov',
  'Ritchie',
  'Perlman',
  'Berners-Lee',
  'Allen',
  'Dijkstra',
  'Lamarr',
  'Backus',
  'Johnson',
  'Matsumoto',
  'Wilson',
  'Rossum',
  'Borg',
  'Stroustrup',
  'Silva',
  'Garcia',
  'Sharma',
  'Tanaka',
  'Okafor',
  'Martin',
];
const OWNERS = [
  'jordan@baton-demo.test',
  'sam@baton-demo.test',
  'alex@baton-demo.test',
  'riley@baton-demo.test',
];
const NAME_PARTS = [
  'North',
  'Blue',
  'Bright',
  'Iron',
  'Cloud',
  'River',
  'Summit',
  'Pixel',
  'Vector',
  'Harbor',
  'Atlas',
  'Nimbus',
  'Quartz',
  'Orbit',
  'Lumen',
];
const NAME_ENDS = [
  'Labs',
  'Systems',
  'Works',
  'Analytics',
  'Health',
  'Retail',
  'Logistics',
  'Media',
  'Capital',
  'Foods',
];

export function generateWorld(seed: string | number, size: WorldSize): World {
  const rng = new Random(`world:${seed}`);
  const accounts: WorldAccount[] = [];
  for (let i = 0; i < size.accounts; i++) {
    const name = `${rng.pick(NAME_PARTS)} ${rng.pick(NAME_ENDS)} ${i + 1}`;
    const domain = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example`;
    // Company sizes are heavy-tailed: most are small, a few are enterprises.
    const employees = Math.round(10 * Math.exp(rng.next() * Math.log(800)));
    accounts.push({
      externalId: `acct-${i + 1}`,
      domain,
      name,
      industry: rng.pick(INDUSTRIES),
      size: employees,
      owner: rng.pick(OWNERS),
      target: false,
    });
  }
  // The ABM list: the largest accounts.
  [...accounts]
    .sort((a, b) => b.size - a.size)
    .slice(0, Math.max(5, Math.round(accounts.length * 0.12)))
    .forEach((a) => (a.target = true));

  const contacts: WorldContact[] = [];
  let n = 0;
  for (const account of accounts) {
    const k = Math.max(1, Math.round(size.contactsPerAccount * (0.5 + rng.next())));
    const zone = rng.weighted(ZONES);
    for (let j = 0; j < k; j++) {
      n++;
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      const stage = rng.weighted(STAGES);
      contacts.push({
        externalId: `user-${n}`,
        email: `${first}.${last}.${n}@${account.domain}`.toLowerCase(),
        firstName: first,
        lastName: last,
        title: rng.weighted(TITLES),
        // Most people share their company's zone; some work elsewhere.
        timeZone: rng.chance(0.8) ? zone : rng.weighted(ZONES),
        lifecycleStage: stage,
        account,
        responsiveness: Math.exp((rng.next() - 0.5) * 1.4),
        propensity: Math.exp((rng.next() - 0.5) * 1.2) * (stage === 'mql' || stage === 'sql' ? 1.6 : 1),
        pricingViews: rng.chance(stage === 'lead' || stage === 'mql' ? 0.45 : 0.1) ? rng.int(1, 4) : 0,
      });
    }
  }
  return { seed: String(seed), accounts, contacts };
}
