/** One benchmark figure, printed beside a raw baseline measured in the same process. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  baselineName: string;
  /** value / baseline */
  ratio: number;
}
