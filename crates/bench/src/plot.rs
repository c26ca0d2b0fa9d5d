//! SVG line charts and their CSV data, for the benchmark and incentive figures.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::prelude::*;

/// How a series is drawn.
#[derive(Clone, Copy)]
pub enum Stroke {
    Solid,
    Dashed,
    Points,
}

/// One labelled series of points.
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub stroke: Stroke,
}

impl Series {
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>, stroke: Stroke) -> Self {
        Series {
            label: label.into(),
            points,
            stroke,
        }
    }
}

/// A chart: title, axis names and series.
pub struct Chart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub series: Vec<Series>,
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

impl Chart<'_> {
    /// Writes `<dir>/<name>.svg` and `<dir>/<name>.csv` (columns: series, x, y); returns the SVG path.
    pub fn write(&self, dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let svg = dir.join(format!("{name}.svg"));
        self.draw(&svg)
            .with_context(|| format!("drawing {}", svg.display()))?;
        let mut csv = String::from("series,x,y\n");
        for s in &self.series {
            for (x, y) in &s.points {
                csv.push_str(&format!("\"{}\",{x},{y}\n", s.label));
            }
        }
        let csv_path = dir.join(format!("{name}.csv"));
        fs::write(&csv_path, csv).with_context(|| format!("writing {}", csv_path.display()))?;
        Ok(svg)
    }

    fn draw(&self, path: &Path) -> anyhow::Result<()> {
        let (x_range, y_range) = self.ranges();
        let root = SVGBackend::new(path, (800, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(self.title, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(x_range, y_range)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc(self.x_label)
            .y_desc(self.y_label)
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(plot_error)?;
        for (index, series) in self.series.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let style = ShapeStyle::from(&color).stroke_width(2);
            let points = series.points.clone();
            let drawn = match series.stroke {
                Stroke::Solid => chart.draw_series(LineSeries::new(points, style)),
                Stroke::Dashed => chart.draw_series(DashedLineSeries::new(points, 8, 5, style)),
                Stroke::Points => chart.draw_series(PointSeries::of_element(
                    points,
                    4,
                    style.filled(),
                    &|c, s, st| Circle::new(c, s, st),
                )),
            }
            .map_err(plot_error)?;
            drawn
                .label(series.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
        Ok(())
    }

    /// Axis ranges covering every point with a 5% margin, and 25% above for the legend.
    fn ranges(&self) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        let span = |values: Vec<f64>| {
            let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let pad = if hi > lo { hi - lo } else { 1.0 };
            (lo, hi, pad)
        };
        let (x_lo, x_hi, x_pad) = span(points().map(|p| p.0).collect());
        let (y_lo, y_hi, y_pad) = span(points().map(|p| p.1).collect());
        (
            (x_lo - 0.05 * x_pad)..(x_hi + 0.05 * x_pad),
            (y_lo - 0.05 * y_pad)..(y_hi + 0.25 * y_pad),
        )
    }
}

fn plot_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("plotting failed: {e:?}")
}
