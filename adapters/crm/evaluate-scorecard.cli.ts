/**
 * npm run evaluate:scorecard [-- --size 10000 --seed 20160110 --scorecard card.json --out bench]
 * Scores the simulator's synthetic population with a scorecard (the built-in one unless a
 * JSON file is given), prints KS and AUC against the hidden outcomes and the bad rate per
 * grade, and writes the ROC chart and a short report.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { shanghaiDate } from '../../src/core/calendar-date.js';
import { DEFAULT_SCORECARD } from '../../src/core/default-scorecard.js';
import { parseScorecard } from '../../src/core/scorecard.js';
import { SANDBOX_POPULATION_SEED } from '../../src/carrier-crm.js';
import { generatePopulation, POPULATION_SIZE_DEFAULT } from './population.js';
import { evaluateScorecard, rocChartPng } from './scorecard-evaluation.js';

const { values } = parseArgs({ options: {
  size: { type: 'string', default: String(POPULATION_SIZE_DEFAULT) },
  seed: { type: 'string', default: String(SANDBOX_POPULATION_SEED) },
  scorecard: { type: 'string' },
  out: { type: 'string', default: 'bench' },
} });

const size = Number(values.size);
if (!Number.isInteger(size) || size < 100) throw new Error('--size must be a whole number of at least 100');
const card = values.scorecard ? parseScorecard(JSON.parse(await readFile(values.scorecard, 'utf8'))) : DEFAULT_SCORECARD;
const asOf = shanghaiDate(new Date());
const started = performance.now();
const members = generatePopulation({ size, seed: values.seed, asOf });
const evaluation = evaluateScorecard(members, card, asOf);
const seconds = (performance.now() - started) / 1000;

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const lines = [
  `# Scorecard evaluation`,
  '',
  `Scorecard \`${card.version}\` on ${size} simulated subscribers (seed ${values.seed}, as of ${asOf}); ${evaluation.bads} defaulted (${pct(evaluation.bads / size)}).`,
  '',
  `- AUC: ${evaluation.auc.toFixed(4)}`,
  `- KS: ${evaluation.ks.toFixed(4)} (at score ${evaluation.ksScore})`,
  '',
  '| grade | subscribers | defaulted | bad rate |',
  '|---|---:|---:|---:|',
  ...evaluation.grades.map((g) => `| ${g.grade} | ${g.count} | ${g.bads} | ${pct(g.badRate)} |`),
  '',
  '![ROC](scorecard-roc.png)',
  '',
];
await mkdir(values.out, { recursive: true });
await writeFile(path.join(values.out, 'scorecard-roc.png'), await rocChartPng(evaluation));
await writeFile(path.join(values.out, 'SCORECARD.md'), lines.join('\n'));
process.stdout.write(`${lines.slice(0, 13 + evaluation.grades.length).join('\n')}\n(${seconds.toFixed(1)} s; wrote ${values.out}/SCORECARD.md and ${values.out}/scorecard-roc.png)\n`);
