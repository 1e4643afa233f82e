/** Every measurement of the run, and what the report makes of them: medians, spreads, per-round ratios. */
import type { Case, Sample } from './cases';

export interface Measurement {
	key: string;
	round: number;
	sample: Sample;
}
export const measurements: Measurement[] = [];

export interface Spread {
	median: number;
	min: number;
	max: number;
	count: number;
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function spread(values: number[]): Spread | undefined {
	const finite = values.filter(Number.isFinite);
	if (finite.length === 0) return undefined;
	return {
		median: median(finite),
		min: Math.min(...finite),
		max: Math.max(...finite),
		count: finite.length,
	};
}

export interface Summary {
	case: Case;
	samples: Sample[];
	rounds: number[];
	seconds: Spread;
	/** This case's time ÷ n8n's ceiling's time, round by round (1.00: as fast as n8n itself moves the bytes). */
	vsCeiling?: Spread;
	/** n8n's built-in node's time ÷ this case's time, round by round (this node's rows; above 1: faster). */
	vsBuiltin?: Spread;
	/** 1 GiB rows in n8n: peak RSS minus that of the same workflow on 16 KiB, round by round. */
	rssGrowth?: Spread;
	rise?: Spread;
	peakRss?: Spread;
	wall?: Spread;
	list?: Spread;
	peakAt: string[];
}

/** Round by round: `of` divided by `by` where both ran in that round. */
function perRound(of: Measurement[], by: Measurement[], invert = false): number[] {
	return of.flatMap((m) => {
		const other = by.find((b) => b.round === m.round);
		if (!other) return [];
		return [
			invert ? other.sample.seconds / m.sample.seconds : m.sample.seconds / other.sample.seconds,
		];
	});
}

export function summarize(cases: Case[]): Summary[] {
	const of = (key: string) => measurements.filter((m) => m.key === key);
	return cases
		.filter((c) => of(c.key).length > 0)
		.map((c) => {
			const mine = of(c.key);
			const samples = mine.map((m) => m.sample);
			const ceiling = of(`${c.workload}/ceiling`);
			const builtin = of(`${c.workload}/builtin/${c.protocol}`);
			const growth = samples.flatMap((s) =>
				s.peakRssMiB !== undefined && s.baselineRssMiB !== undefined
					? [s.peakRssMiB - s.baselineRssMiB]
					: [],
			);
			const values = (pick: (s: Sample) => number | undefined) =>
				spread(samples.flatMap((s) => (pick(s) === undefined ? [] : [pick(s)!])));
			return {
				case: c,
				samples,
				rounds: mine.map((m) => m.round),
				seconds: spread(samples.map((s) => s.seconds))!,
				vsCeiling: c.role === 'ceiling' ? undefined : spread(perRound(mine, ceiling)),
				vsBuiltin: c.role === 'node' ? spread(perRound(mine, builtin, true)) : undefined,
				rssGrowth: spread(growth),
				rise: values((s) => s.riseMiB),
				peakRss: values((s) => s.peakRssMiB),
				wall: values((s) => s.wallSeconds),
				list: values((s) => s.listSeconds),
				peakAt: [...new Set(samples.flatMap((s) => (s.peakAt ? [s.peakAt] : [])))],
			};
		});
}

export function fmt(value: number | undefined, digits = 1): string {
	return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** "1.05 (0.97–1.12)": a median with the spread of the rounds. */
export function fmtSpread(value: Spread | undefined, digits = 2): string {
	if (!value) return '–';
	if (value.count === 1) return fmt(value.median, digits);
	return `${fmt(value.median, digits)} (${fmt(value.min, digits)}–${fmt(value.max, digits)})`;
}

export const kib2mib = (kib: number): number => kib / 1024;
