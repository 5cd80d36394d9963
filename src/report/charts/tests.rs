use super::progress::best_so_far;
use super::style::{CHART_SIZE, TRIAL_SIZE, tick};
use super::*;
use crate::metric::{Goal, MetricName};

/// Epochs with a falling loss and a rising R², a spike in the validation loss at epoch 7.
fn epochs(n: usize) -> Vec<EpochMetrics> {
    (1..=n)
        .map(|e| {
            let t = e as f64;
            EpochMetrics {
                epoch: e,
                train_loss: 1.0 / t,
                val_loss: if e == 7 { 5.0 } else { 1.2 / t + 0.1 },
                val_r2: 0.6 - 0.5 / t,
                val_pearson: 0.7,
                val_spearman: 0.7,
                learning_rate: 1e-3,
                seconds: 1.0,
                samples_per_s: 100.0,
                extra: Default::default(),
            }
        })
        .collect()
}

fn curves(number: usize, epochs: &[EpochMetrics]) -> TrialCurves<'_> {
    TrialCurves {
        number,
        epochs,
        best_epoch: Some(epochs.len().min(3)),
    }
}

/// A complete inline SVG: no XML declaration, a viewBox, closed.
fn assert_svg(svg: &str) {
    assert!(svg.starts_with("<svg "), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.contains("viewBox=\"0 0 "));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(!svg.contains("<?xml"));
}

/// How many lines (curves, legend swatches) are drawn in `colour`.
fn lines(svg: &str, colour: &str) -> usize {
    let stroke = format!("stroke=\"{colour}\"");
    svg.lines()
        .filter(|l| l.starts_with("<polyline") && l.contains(&stroke))
        .count()
}

/// The text of a `<text>` element as plotters writes it.
fn text(s: &str) -> String {
    format!(">\n{s}\n</text>")
}

const SCRIPT: &str = "<script>alert(\"x&y\")</script>";
const ESCAPED: &str = "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;";

#[test]
fn a_trial_chart_has_three_curves_a_best_line_and_a_legend() {
    let e = epochs(12);
    let svg = trial_chart(&curves(4, &e));
    assert_svg(&svg);
    // train (curve, legend); val loss, its legend, val R²; the best epoch in each panel, legend.
    assert_eq!(lines(&svg, "#4E79A7"), 2, "{svg}");
    assert_eq!(lines(&svg, "#F28E2B"), 3);
    assert_eq!(lines(&svg, "#808080"), 3);
    for label in [
        "train",
        "val",
        "best: epoch 3",
        "trial 4: loss",
        "trial 4: val R²",
    ] {
        assert!(svg.contains(&text(label)), "{label}");
    }
    assert_eq!(svg, trial_chart(&curves(4, &e)), "deterministic");
    assert!(svg.contains("font-size=\"8.9\""), "short font sizes");
    assert!(!svg.contains("opacity=\"1\""));
}

#[test]
fn a_long_trial_stays_small() {
    let e = epochs(200);
    let svg = trial_chart(&curves(1, &e));
    assert_svg(&svg);
    assert!(svg.len() < 10_000, "{} bytes", svg.len());
    // Each curve was downsampled: no polyline has more than 60 points.
    for line in svg.lines().filter(|l| l.starts_with("<polyline")) {
        assert!(line.matches(',').count() <= 60, "{line}");
    }
}

#[test]
fn nan_and_empty_trials_say_no_data() {
    let mut e = epochs(5);
    for m in &mut e {
        (m.train_loss, m.val_loss, m.val_r2) = (f64::NAN, f64::NAN, f64::NAN);
    }
    for epochs in [&e[..], &[]] {
        let svg = trial_chart(&TrialCurves {
            number: 2,
            epochs,
            best_epoch: None,
        });
        assert_svg(&svg);
        assert!(svg.contains("trial 2: no data"), "{svg}");
    }
    // R² missing, losses there: the R² panel alone says so.
    let mut e = epochs(5);
    e.iter_mut().for_each(|m| m.val_r2 = f64::NAN);
    let svg = trial_chart(&curves(2, &e));
    assert!(svg.contains("val R²: no data"));
    assert_eq!(lines(&svg, "#4E79A7") + lines(&svg, "#F28E2B"), 4);
}

#[test]
fn an_overlay_has_a_curve_and_a_legend_entry_per_trial() {
    let (a, b, c) = (epochs(10), epochs(20), epochs(5));
    let trials = [curves(3, &a), curves(8, &b), curves(11, &c)];
    let svg = overlay_chart(&trials, &MetricName::VAL_R2, "top 3 <by> val_r2");
    assert_svg(&svg);
    for colour in ["#4E79A7", "#F28E2B", "#E15759"] {
        assert_eq!(lines(&svg, colour), 2, "a curve and its legend swatch");
    }
    assert_eq!(svg.matches("<circle").count(), 3, "best epochs");
    for n in [3, 8, 11] {
        assert!(svg.contains(&text(&format!("trial {n}"))));
    }
    assert!(svg.contains("top 3 &lt;by&gt; val_r2"));
    assert_eq!(
        svg,
        overlay_chart(&trials, &MetricName::VAL_R2, "top 3 <by> val_r2")
    );
    assert!(overlay_chart(&[], &MetricName::VAL_LOSS, "t").contains("t: no data"));
}

#[test]
fn progress_shows_every_trial_and_the_best_so_far() {
    let points = [(1, 0.2), (2, 0.1), (3, 0.4), (4, f64::NAN), (5, 0.3)];
    let svg = progress_chart(&points, &MetricName::VAL_R2, Goal::Maximize);
    assert_svg(&svg);
    // Four dots and the legend's dot.
    assert_eq!(svg.matches("<circle").count(), 4 + 1);
    assert!(svg.contains(&text("best so far")));
    let nan = progress_chart(&[(1, f64::NAN)], &MetricName::VAL_R2, Goal::Maximize);
    assert!(nan.contains("no data"));
    assert!(progress_chart(&[], &MetricName::VAL_LOSS, Goal::Minimize).contains("no data"));
}

#[test]
fn best_so_far_steps_by_goal() {
    let dots = [(1.0, 0.2), (2.0, 0.1), (3.0, 0.4), (5.0, 0.3)];
    assert_eq!(
        best_so_far(&dots, Goal::Maximize),
        [(1.0, 0.2), (3.0, 0.2), (3.0, 0.4), (5.0, 0.4)]
    );
    assert_eq!(
        best_so_far(&dots, Goal::Minimize),
        [(1.0, 0.2), (2.0, 0.2), (2.0, 0.1), (5.0, 0.1)]
    );
}

#[test]
fn a_numeric_param_chart_is_a_scatter_with_a_log_axis_on_request() {
    let points: Vec<(ParamPoint, f64)> = [1e-4, 3e-4, 1e-3, 1e-2, f64::NAN]
        .iter()
        .enumerate()
        .map(|(i, &x)| (ParamPoint::Number(x), i as f64 * 0.1))
        .collect();
    let log = param_chart("learning_rate", &points, &MetricName::VAL_R2, true);
    assert_svg(&log);
    assert_eq!(log.matches("<circle").count(), 4, "NaN left out");
    assert!(log.contains(&text("learning_rate")));
    assert!(
        log.contains(&text("1e-4")) || log.contains(&text("1e-3")),
        "{log}"
    );
    let linear = param_chart("learning_rate", &points, &MetricName::VAL_R2, false);
    assert_ne!(log, linear);
}

#[test]
fn a_categorical_param_chart_labels_each_category() {
    let points: Vec<(ParamPoint, f64)> = [("128", 0.1), ("32", 0.3), ("64", 0.2), ("32", 0.25)]
        .iter()
        .map(|&(l, v)| (ParamPoint::Label(l.to_string()), v))
        .collect();
    let svg = param_chart("hidden", &points, &MetricName::VAL_R2, false);
    assert_svg(&svg);
    assert_eq!(svg.matches("<circle").count(), 4);
    let at = |l: &str| {
        svg.find(&text(l))
            .unwrap_or_else(|| panic!("no label {l}: {svg}"))
    };
    assert!(at("32") < at("64") && at("64") < at("128"), "numeric order");
}

#[test]
fn user_text_is_escaped() {
    let points = vec![
        (ParamPoint::Label(SCRIPT.to_string()), 0.5),
        (ParamPoint::Number(2.0), 0.4),
    ];
    for svg in [
        param_chart(SCRIPT, &points, &MetricName::VAL_R2, false),
        parallel_chart(
            &[SCRIPT.to_string()],
            &[(vec![ParamPoint::Label(SCRIPT.into())], 0.5)],
            &MetricName::VAL_R2,
            Goal::Maximize,
        ),
    ] {
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains(ESCAPED), "{svg}");
    }
}

#[test]
fn single_values_still_draw() {
    let one = [(ParamPoint::Label("only".into()), 0.5)];
    let svg = param_chart("act", &one, &MetricName::VAL_R2, false);
    assert_eq!(svg.matches("<circle").count(), 1);
    assert!(svg.contains(&text("only")));
    let one = [(ParamPoint::Number(1e-3), 0.5)];
    assert_eq!(
        param_chart("learning_rate", &one, &MetricName::VAL_R2, true)
            .matches("<circle")
            .count(),
        1
    );
    let e = epochs(1);
    let svg = trial_chart(&TrialCurves {
        number: 1,
        epochs: &e,
        best_epoch: Some(9),
    });
    assert_svg(&svg);
    assert!(
        !svg.contains("best: epoch"),
        "a best epoch outside the curves is not drawn"
    );
    let rows = [(vec![ParamPoint::Number(2.0)], 0.5)];
    let svg = parallel_chart(
        &["kernel".into()],
        &rows,
        &MetricName::VAL_R2,
        Goal::Minimize,
    );
    assert!(svg.contains(&text("kernel")) && svg.contains(&text("2")));
}

#[test]
fn param_charts_without_data_say_so() {
    assert!(param_chart("lr", &[], &MetricName::VAL_R2, true).contains("no data"));
    let nan = [
        (ParamPoint::Number(f64::NAN), 0.1),
        (ParamPoint::Number(1.0), f64::NAN),
    ];
    assert!(param_chart("lr", &nan, &MetricName::VAL_R2, true).contains("no data"));
}

#[test]
fn parallel_coordinates_draw_a_line_per_trial_and_an_axis_per_parameter() {
    let params = [
        "learning_rate".to_string(),
        "kernel".to_string(),
        "act".to_string(),
    ];
    let row = |lr: f64, k: f64, act: &str, m: f64| {
        (
            vec![
                ParamPoint::Number(lr),
                ParamPoint::Number(k),
                ParamPoint::Label(act.into()),
            ],
            m,
        )
    };
    let rows = vec![
        row(1e-4, 5.0, "relu", 0.3),
        row(1e-3, 9.0, "gelu", 0.5),
        row(1e-2, 7.0, "relu", f64::NAN),
        row(3e-3, f64::NAN, "relu", 0.4),
        row(2e-3, 7.0, "gelu", 0.45),
    ];
    let svg = parallel_chart(&params, &rows, &MetricName::VAL_R2, Goal::Maximize);
    assert_svg(&svg);
    // 3 trials with every value, 4 axes, the metric axis' 10 colour segments.
    assert_eq!(svg.matches("<polyline").count(), 3 + 4 + 10, "{svg}");
    for label in [
        "learning_rate",
        "kernel",
        "act",
        "val_r2",
        "relu",
        "gelu",
        "1e-4",
        "9",
    ] {
        assert!(svg.contains(&text(label)), "{label}: {svg}");
    }
    assert_eq!(
        svg,
        parallel_chart(&params, &rows, &MetricName::VAL_R2, Goal::Maximize)
    );
    // The best trial's colour (darkest) is drawn last among the trials' lines.
    let lines: Vec<&str> = svg.lines().filter(|l| l.starts_with("<polyline")).collect();
    assert!(lines[2].contains("stroke=\"#440154\""), "{}", lines[2]);
    let minimize = parallel_chart(&params, &rows, &MetricName::VAL_R2, Goal::Minimize);
    let lines: Vec<&str> = minimize
        .lines()
        .filter(|l| l.starts_with("<polyline"))
        .collect();
    assert!(lines[0].contains("stroke=\"#FDE725\""), "{}", lines[0]);
    assert!(parallel_chart(&params, &[], &MetricName::VAL_R2, Goal::Maximize).contains("no data"));
    assert!(
        parallel_chart(&params, &rows[2..3], &MetricName::VAL_R2, Goal::Maximize)
            .contains("no data")
    );
}

#[test]
fn downsample_keeps_ends_and_extremes() {
    let mut points: Vec<(f64, f64)> = (0..1000)
        .map(|i| (i as f64, (i as f64 / 50.0).sin()))
        .collect();
    points[333].1 = 10.0;
    points[777].1 = -10.0;
    for max in [4, 5, 60, 61, 999] {
        let kept = downsample(&points, max);
        assert!(kept.len() <= max, "{max}: {}", kept.len());
        assert_eq!(kept.first(), points.first());
        assert_eq!(kept.last(), points.last());
        assert!(
            kept.contains(&points[333]) && kept.contains(&points[777]),
            "{max}"
        );
        assert!(kept.windows(2).all(|w| w[0].0 < w[1].0), "in order");
    }
    assert_eq!(downsample(&points[..10], 60), &points[..10]);
    assert_eq!(downsample(&points, 2), [points[0], points[999]]);
    assert_eq!(downsample(&points, 3), [points[0], points[999]]);
    assert_eq!(downsample(&points, 1), [points[0]]);
    assert!(downsample(&points, 0).is_empty());
    assert!(downsample(&[], 5).is_empty());
    let nan = [
        (0.0, 1.0),
        (1.0, f64::NAN),
        (2.0, 3.0),
        (3.0, f64::NAN),
        (4.0, 0.0),
    ];
    assert_eq!(downsample(&nan, 4), [(0.0, 1.0), (2.0, 3.0), (4.0, 0.0)]);
}

#[test]
fn ticks_are_short() {
    assert_eq!(tick(0.30000000000000004), "0.3");
    assert_eq!(tick(2.0), "2");
    assert_eq!(tick(1e-4), "1e-4");
    assert_eq!(tick(3.16e-4), "3.2e-4");
    assert_eq!(tick(-0.0), "0");
    assert_eq!(tick(12345.0), "1.2e4");
}

/// The width and height in a PNG's IHDR chunk, after checking the 8-byte signature and that
/// IHDR comes first (enough to know a viewer will take it, without an image-decoding crate).
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 24, "too short for a PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "the PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "IHDR first");
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (be(16), be(20))
}

#[test]
fn a_png_chart_is_a_png_of_the_charts_size_and_not_blank() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = epochs(30);
    let chart = trial(&curves(4, &e));
    let path = dir.path().join("trial.png");
    chart.write_png(&path).expect("written");
    let bytes = std::fs::read(&path).expect("read back");
    assert_eq!(png_size(&bytes), TRIAL_SIZE);
    // A white canvas compresses to well under 1 KB; curves, grid and text make several.
    assert!(bytes.len() > 4_000, "only {} bytes: blank?", bytes.len());

    let e2 = epochs(12);
    let both = [curves(1, &e), curves(2, &e2)];
    let row = Chart::row(vec![
        overlay(&both, &MetricName::VAL_R2, "val_r2"),
        overlay(&both, &MetricName::VAL_LOSS, "val_loss"),
    ]);
    let path = dir.path().join("row.png");
    row.write_png(&path).expect("written");
    let bytes = std::fs::read(&path).expect("read back");
    assert_eq!(png_size(&bytes), (2 * CHART_SIZE.0, CHART_SIZE.1));
    assert!(bytes.len() > 8_000, "only {} bytes: blank?", bytes.len());
}

#[test]
fn a_png_chart_refuses_another_extension_and_names_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("chart.jpg");
    let err = trial(&curves(1, &epochs(5)))
        .write_png(&path)
        .expect_err("not a .png");
    assert!(err.to_string().contains("chart.jpg"), "{err}");
    assert!(!path.exists());
}

#[test]
fn the_pruning_chart_greys_pruned_trials_and_marks_where_they_stopped() {
    let long = epochs(12);
    let short = epochs(3);
    let also_short = epochs(9);
    let trials = [
        (curves(1, &long), None),
        (curves(2, &short), Some(3)),
        (curves(3, &also_short), Some(9)),
    ];
    let chart = pruning(&trials, &[3, 9], &MetricName::VAL_R2);
    let svg = chart.svg();
    assert_svg(&svg);
    // One kept curve and its legend swatch; two grey pruned curves and a swatch; two rung
    // lines and a swatch.
    assert_eq!(lines(&svg, "#4E79A7"), 2, "{svg}");
    assert_eq!(lines(&svg, "#808080"), 3);
    assert_eq!(lines(&svg, "#F28E2B"), 3);
    for label in ["trained on", "pruned", "pruned here", "rung"] {
        assert!(svg.contains(&text(label)), "{label}");
    }
    // A cross (two strokes) per stop and one in the legend.
    let crosses = svg.matches("stroke=\"#E15759\"").count();
    assert!(crosses >= 3, "{crosses} strokes in the stop colour");
    assert_eq!(svg, pruning(&trials, &[3, 9], &MetricName::VAL_R2).svg());
    assert!(
        pruning(&[], &[3], &MetricName::VAL_R2)
            .svg()
            .contains("no data")
    );
}
