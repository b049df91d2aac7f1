//! Issue 14 (item 5), in a real browser: the demo's dashboard and one window report of each
//! monitor kind, rendered by headless Chromium (the Debian package `scripts/test-all`
//! installs) at 1280 px and at a phone's 390 px. Each page fails the test on a console or
//! resource error, a chart missing from its section (SVGs counted per section against what
//! the stored files say there should be), a chart without its title and text alternative,
//! a violation whose link leads nowhere, text sticking out of its box or its chart, or a page
//! wider than the viewport.
//!
//! The checks run in a small script added to a copy of each page (the reports themselves
//! have no script), shown in an iframe of the width under test (Chromium's headless window
//! is at least 500 px wide); Chromium's `--dump-dom` prints the harness page after its load
//! event, with the script's findings as JSON in `<pre id="mw-check">`. Set `MW_REPORT_SCREENSHOTS=DIR` to
//! also write the screenshots committed under `docs/reports/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use modelwatch::demo::{run_scenario, BIAS_MONITOR, ENDPOINT, MONITOR, MQ_MONITOR, XAI_MONITOR};
use modelwatch::scenario::Scenario;
use modelwatch_e2e::temp_dir;
use monitor_core::execution::{Execution, ExecutionStatus};
use monitor_core::formats::clarify::{BiasAnalysis, ExplainabilityAnalysis};
use monitor_core::formats::statistics::Statistics;
use monitor_core::store::{LocalStore, ObjectStore};
use serde_json::Value;

/// Viewport widths: a laptop and a phone (an iPhone 12–15's CSS width).
const WIDTHS: [u32; 2] = [1280, 390];

/// What the page runs before `--dump-dom` prints it (see the module docs).
const CHECK_SCRIPT: &str = r#"<script>
(function () {
  var errors = [];
  window.addEventListener('error', function (e) {
    errors.push('error: ' + (e.message || (e.target && (e.target.src || e.target.href)) || 'resource'));
  }, true);
  var ce = console.error;
  console.error = function () { errors.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); ce.apply(console, arguments); };
  function run() {
    var vw = document.documentElement.clientWidth;
    var out = {innerWidth: window.innerWidth, clientWidth: vw, scrollWidth: document.documentElement.scrollWidth,
               errors: errors, overflow: [], sections: {}, charts: 0, untitled: 0};
    document.querySelectorAll('body *').forEach(function (el) {
      if (el.closest('svg') || (el.closest('.scroll') && !el.classList.contains('scroll'))) return;
      var r = el.getBoundingClientRect();
      if (r.width === 0) return;
      if (r.right > vw + 1 || r.left < -1) out.overflow.push(el.tagName + (el.id ? '#' + el.id : '') + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    });
    document.querySelectorAll('svg.chart').forEach(function (svg) {
      out.charts++;
      if (!svg.querySelector('title') || !svg.querySelector('desc') || !svg.getAttribute('aria-labelledby')) out.untitled++;
      var b = svg.getBoundingClientRect();
      svg.querySelectorAll('text').forEach(function (t) {
        var r = t.getBoundingClientRect();
        if (r.left < b.left - 1 || r.right > b.right + 1 || r.top < b.top - 1 || r.bottom > b.bottom + 1)
          out.overflow.push('text "' + t.textContent + '" outside chart #' + svg.id);
      });
    });
    document.querySelectorAll("a[href^='#']").forEach(function (a) {
      if (!document.getElementById(a.getAttribute('href').slice(1))) errors.push('broken link ' + a.getAttribute('href'));
    });
    document.querySelectorAll('section[id]').forEach(function (s) { out.sections[s.id] = s.querySelectorAll('svg.chart').length; });
    var pre = document.createElement('pre');
    pre.id = 'mw-check';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  window.addEventListener('load', run);
})();
</script>"#;

/// Chromium, or a loud failure: the test never skips.
fn chromium() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("chromium"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "chromium not found on PATH: scripts/test-all installs it \
             (`apt-get install -y chromium`, Debian's package); this test needs a real browser"
        )
    })
}

/// Chromium's flags: headless, no network of its own, a throw-away profile.
fn browser(profile: &Path, (width, height): (u32, u32)) -> Command {
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--window-size={width},{height}"));
    cmd
}

/// The page that shows `page` in an iframe `width` px wide (Chromium's headless window is
/// at least 500 px wide; an iframe is a real viewport of any width) and copies the check
/// script's findings out of it once everything has loaded.
fn harness(page: &str, width: u32) -> String {
    format!(
        r#"<!DOCTYPE html><html><head><style>body{{margin:0}}iframe{{border:0;display:block}}</style></head><body><iframe id="page" src="{page}" width="{width}" height="1400"></iframe><script>
window.addEventListener('load', function () {{
  var out = document.createElement('pre');
  out.id = 'mw-check';
  try {{ out.textContent = document.getElementById('page').contentDocument.getElementById('mw-check').textContent; }}
  catch (e) {{ out.textContent = JSON.stringify({{errors: ['harness: ' + e]}}); }}
  document.body.appendChild(out);
}});
</script></body></html>"#
    )
}

/// The findings of the check script on `page` at `width`.
fn check(page: &Path, width: u32, scratch: &Path) -> Value {
    let html = std::fs::read_to_string(page).unwrap();
    let copy = page.with_file_name("checked.html");
    std::fs::write(
        &copy,
        html.replacen("<head>", &format!("<head>{CHECK_SCRIPT}"), 1),
    )
    .unwrap();
    let outer = page.with_file_name(format!("harness-{width}.html"));
    std::fs::write(&outer, harness("checked.html", width)).unwrap();
    let out = browser(
        &scratch.join(format!("profile-{width}")),
        (1280.max(width), 900),
    )
    .arg("--allow-file-access-from-files")
    .arg("--dump-dom")
    .arg(format!("file://{}", outer.display()))
    .output()
    .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "chromium failed on {}: {stderr}",
        page.display()
    );
    assert!(
        !stderr.contains("CONSOLE"),
        "console output on {}: {stderr}",
        page.display()
    );
    let json = dom
        .split("<pre id=\"mw-check\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "no check result for {} at {width}px: {dom:.2000}",
                page.display()
            )
        });
    let json = json
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

/// A page passes at every width; returns its SVG count per section (same at every width).
fn assert_renders(page: &Path, scratch: &Path) -> BTreeMap<String, u64> {
    let mut sections = BTreeMap::new();
    for width in WIDTHS {
        let r = check(page, width, scratch);
        let name = format!("{} at {width}px", page.display());
        assert_eq!(r["innerWidth"], width, "{name}: viewport");
        assert_eq!(r["errors"], Value::Array(vec![]), "{name}: errors");
        assert_eq!(r["overflow"], Value::Array(vec![]), "{name}: overflow");
        assert!(
            r["scrollWidth"].as_u64() <= r["clientWidth"].as_u64(),
            "{name}: page wider than the viewport: {r}"
        );
        assert!(r["charts"].as_u64() > Some(0), "{name}: no chart");
        assert_eq!(r["untitled"], 0, "{name}: charts without title/desc");
        sections = r["sections"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
    }
    sections
}

/// The monitor's windows, oldest first.
async fn windows(store: &LocalStore, monitor: &str) -> Vec<Execution> {
    let mut out = Vec::new();
    for key in store
        .list(&format!("reports/{ENDPOINT}/{monitor}/"))
        .await
        .unwrap()
    {
        if key.ends_with("/execution.json") {
            out.push(serde_json::from_slice::<Execution>(&store.get(&key).await.unwrap()).unwrap());
        }
    }
    out.sort_by_key(|e| e.window_end);
    out
}

/// The report of `monitor`'s latest window with violations (else its latest window).
async fn report_of(store: &LocalStore, root: &Path, monitor: &str) -> (Execution, PathBuf) {
    let all = windows(store, monitor).await;
    let exec = all
        .iter()
        .rev()
        .find(|e| e.status == ExecutionStatus::CompletedWithViolations)
        .or(all.last())
        .unwrap_or_else(|| panic!("{monitor} has no window"))
        .clone();
    let path = root.join(&exec.report_prefix).join("report.html");
    assert!(path.is_file(), "the tick wrote no {}", path.display());
    (exec, path)
}

/// Screenshots of `page` for the README: 1280 px wide, and (through the iframe harness) a
/// 390 px phone width.
fn screenshot(page: &Path, name: &str, scratch: &Path) {
    let Some(dir) = std::env::var_os("MW_REPORT_SCREENSHOTS") else {
        return;
    };
    let dir = Path::new(&dir);
    let shots = [
        (page.to_path_buf(), 1280, format!("{name}.png")),
        (
            page.with_file_name("harness-390.html"),
            500,
            format!("{name}-phone.png"),
        ),
    ];
    for (target, width, file) in shots {
        let ok = browser(&scratch.join("profile-shot"), (width, 1400))
            .arg("--allow-file-access-from-files")
            .arg(format!("--screenshot={}", dir.join(file).display()))
            .arg(format!("file://{}", target.display()))
            .status()
            .unwrap()
            .success();
        assert!(ok, "screenshot of {}", target.display());
    }
}

// Why it is long: one demo run, then the dashboard and four reports, each checked against
// what its stored files say it must show; splitting would rerun the scenario per page.
#[tokio::test(flavor = "multi_thread")]
async fn dashboard_and_one_report_per_kind_render_in_chromium() {
    let root = temp_dir("reports-browser");
    let scratch = temp_dir("reports-browser-chromium");
    let store = LocalStore::new(&root);
    let scenario = Scenario {
        baseline_rows: 5_000,
        validation_rows: 3_000,
        records_per_hour: 3_000,
        records_per_file: 1_000,
        ..Scenario::new(42)
    };
    run_scenario(&store, &scenario, false).await.unwrap();

    // the dashboard: one card per monitor, two small multiples each
    let dashboard = root.join("reports/index.html");
    let sections = assert_renders(&dashboard, &scratch);
    let cards: Vec<_> = sections
        .iter()
        .filter(|(k, _)| k.starts_with("mon-"))
        .collect();
    assert_eq!(cards.len(), 4, "{sections:?}");
    assert!(cards.iter().all(|(_, n)| **n == 2), "{sections:?}");
    screenshot(&dashboard, "dashboard", &scratch);

    // data quality: two charts per baseline feature (distribution, drift over time)
    let (_, page) = report_of(&store, &root, MONITOR).await;
    let baseline = Statistics::from_json(
        &store
            .get(&format!("baselines/{MONITOR}/statistics.json"))
            .await
            .unwrap(),
    )
    .unwrap();
    let sections = assert_renders(&page, &scratch);
    let features: Vec<_> = sections
        .iter()
        .filter(|(k, _)| k.starts_with("f-"))
        .collect();
    assert_eq!(features.len(), baseline.features.len(), "{sections:?}");
    assert!(features.iter().all(|(_, n)| **n == 2), "{sections:?}");
    assert_eq!(sections["features"], 2 * baseline.features.len() as u64);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("<a href=\"#f-"),
        "violations link to their feature"
    );
    screenshot(&page, "data-quality", &scratch);

    // model quality: confusion matrix, ROC + PR, metrics over time
    let (_, page) = report_of(&store, &root, MQ_MONITOR).await;
    let sections = assert_renders(&page, &scratch);
    assert_eq!(sections["confusion"], 1, "{sections:?}");
    assert_eq!(sections["curves"], 2, "{sections:?}");
    assert!(sections["history"] >= 1, "{sections:?}");
    screenshot(&page, "model-quality", &scratch);

    // bias: one chart per facet entry of each stage of the window's analysis.json
    let (exec, page) = report_of(&store, &root, BIAS_MONITOR).await;
    let analysis = BiasAnalysis::from_json(
        &store
            .get(&format!("{}analysis.json", exec.report_prefix))
            .await
            .unwrap(),
    )
    .unwrap();
    let entries = |b: &Option<monitor_core::formats::clarify::BiasMetricsBlock>| {
        b.as_ref().map_or(0, |b| b.entries().unwrap().len() as u64)
    };
    let sections = assert_renders(&page, &scratch);
    assert_eq!(
        sections["post-training"],
        entries(&analysis.post_training_bias_metrics),
        "{sections:?}"
    );
    assert_eq!(
        sections["pre-training"],
        entries(&analysis.pre_training_bias_metrics),
        "{sections:?}"
    );
    screenshot(&page, "bias", &scratch);

    // attribution: per label, the two rankings and nDCG over time
    let (exec, page) = report_of(&store, &root, XAI_MONITOR).await;
    let analysis = ExplainabilityAnalysis::from_json(
        &store
            .get(&format!("{}analysis.json", exec.report_prefix))
            .await
            .unwrap(),
    )
    .unwrap();
    let sections = assert_renders(&page, &scratch);
    let labels: Vec<_> = sections
        .iter()
        .filter(|(k, _)| k.starts_with("l-"))
        .collect();
    assert_eq!(
        labels.len(),
        analysis.labels().unwrap().len(),
        "{sections:?}"
    );
    assert!(labels.iter().all(|(_, n)| **n == 3), "{sections:?}");
    screenshot(&page, "attribution", &scratch);
}

/// Issue 15 (item 3), in the browser: the demo's segment hour (a data-quality monitor with a
/// `segments` block; one region's traffic drifts) writes a window report whose "Segments"
/// table lists every slice of the window's `segments.json`, a slice with violations marked, and
/// the page passes the same checks as the others at both widths.
#[tokio::test(flavor = "multi_thread")]
async fn the_segment_hours_report_renders_its_slices_in_chromium() {
    use modelwatch::demo::segment::{run_segment_hour, SLICE_FEATURE, SLICE_REGION};
    let root = temp_dir("reports-browser-segments");
    let scratch = temp_dir("reports-browser-segments-chromium");
    let store = LocalStore::new(&root);
    let scenario = Scenario {
        baseline_rows: 5_000,
        validation_rows: 3_000,
        records_per_hour: 6_000,
        records_per_file: 2_000,
        ..Scenario::new(42)
    };
    let hour = run_segment_hour(&store, &scenario).await.unwrap();
    let page = root.join(&hour.execution.report_prefix).join("report.html");
    assert!(page.is_file(), "the tick wrote no {}", page.display());
    let sections = assert_renders(&page, &scratch);
    // a table, no chart, in the segments section; the features keep their two charts each
    assert_eq!(sections.get("segments"), Some(&0), "{sections:?}");
    assert!(
        sections.iter().any(|(k, n)| k.starts_with("f-") && *n == 2),
        "{sections:?}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    let table = &html[html.find("id=\"segments\"").expect("a segments section")..];
    assert!(!hour.segments.segments.is_empty());
    for s in &hour.segments.segments {
        // a slice with violations is marked (`bad-row`), the others are plain rows
        let row = if s.violations > 0 {
            format!("<tr class=\"bad-row\"><td>{}</td>", s.segment)
        } else {
            format!("<tr><td>{}</td>", s.segment)
        };
        assert!(table.contains(&row), "no row {row} in the table");
    }
    let drifting = format!("{SLICE_FEATURE}={SLICE_REGION}");
    let slice = hour
        .segments
        .segments
        .iter()
        .find(|s| s.segment == drifting)
        .expect("the drifting region has a slice");
    assert!(slice.records > 0);
    screenshot(&page, "segments", &scratch);
}
