// Every CLI command module; each exports `register(program)`.
import type { Command } from 'commander';
import * as segment from './segment.command.js';
import * as abtest from './abtest.command.js';
import * as attributeCmd from './attribute.command.js';
import * as campaign from './campaign.command.js';
import * as importCmd from './import.command.js';
import * as keys from './keys.command.js';
import * as migrate from './migrate.command.js';
import * as serve from './serve.command.js';
import * as demo from './demo.command.js';
import * as worker from './worker.command.js';
import * as forecast from './forecast.command.js';
import * as report from './report.command.js';
import * as clone from './clone.command.js';
import * as users from './users.command.js';
import * as tasks from './tasks.command.js';
import * as doctor from './doctor.command.js';
import * as privacy from './privacy.command.js';
import * as secrets from './secrets.command.js';
import * as audit from './audit.command.js';

export const commandModules: Array<{ register(program: Command): void }> = [
  migrate,
  keys,
  demo,
  serve,
  worker,
  abtest,
  importCmd,
  attributeCmd,
  campaign,
  segment,
  forecast,
  report,
  clone,
  users,
  tasks,
  doctor,
  privacy,
  secrets,
  audit,
];
