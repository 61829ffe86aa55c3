/**
 * Line charts as PNG for reports (scorecard ROC, benchmark report): a Vega-Lite spec is
 * compiled to Vega, rendered headless to SVG (no canvas needed) and rasterised by resvg.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface LineSeries {
  name: string;
  points: readonly { x: number; y: number }[];
}

export interface LineChart {
  title: string;
  xTitle: string;
  yTitle: string;
  series: readonly LineSeries[];
  width?: number;
  height?: number;
  /** Fix both axes to [0, 1], e.g. for ROC curves. */
  unitSquare?: boolean;
}

export async function lineChartSvg(chart: LineChart): Promise<string> {
  const values = chart.series.flatMap((s) => s.points.map((p, order) => ({ series: s.name, x: p.x, y: p.y, order })));
  const scale = chart.unitSquare ? { domain: [0, 1] } : { zero: false };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: chart.title,
    width: chart.width ?? 480,
    height: chart.height ?? 360,
    background: 'white',
    data: { values },
    mark: { type: 'line', interpolate: 'linear' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: chart.xTitle, scale },
      y: { field: 'y', type: 'quantitative', title: chart.yTitle, scale },
      color: { field: 'series', type: 'nominal', title: null },
      order: { field: 'order', type: 'quantitative' },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function lineChartPng(chart: LineChart): Promise<Buffer> {
  const svg = await lineChartSvg(chart);
  return new Resvg(svg, { font: { loadSystemFonts: true }, background: 'white' }).render().asPng();
}
