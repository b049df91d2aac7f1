//! Cost of the HTML reports (issue 14): size and CPU time of one window report of each
//! monitor kind and of the dashboard, on the demo's scenario (seed 42), with the
//! data-quality window padded to 20 features (two of the demo's 18 copied under new names),
//! the size the budget names (< 300 KB, < 100 ms of CPU at the tick).
//!
//! `cargo bench --bench report`. Render CPU time is the thread's own
//! (`/proc/thread-self/schedstat`, nanoseconds on CPU), so other processes on the machine do
//! not inflate it; "load" (reading the window's files and its history through the local
//! store port, whose file reads run on tokio's blocking threads) is wall time.

use std::time::Instant;

use modelwatch::demo::{run_scenario, BIAS_MONITOR, ENDPOINT, MONITOR, MQ_MONITOR, XAI_MONITOR};
use modelwatch::scenario::Scenario;
use monitor_core::execution::{Execution, FeatureDrift};
use monitor_core::report::{
    load_dashboard, load_window, render_dashboard, render_window, KindFiles,
};
use monitor_core::store::{LocalStore, ObjectStore};

const RUNS: u32 = 30;

/// Nanoseconds this thread has spent on a CPU.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Mean CPU and wall milliseconds of `f` over [`RUNS`] runs.
fn measure<T>(mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let (cpu0, t0) = (cpu_ns(), Instant::now());
    let mut out = f();
    for _ in 1..RUNS {
        out = f();
    }
    let cpu = (cpu_ns() - cpu0) as f64 / 1e6 / f64::from(RUNS);
    let wall = t0.elapsed().as_secs_f64() * 1e3 / f64::from(RUNS);
    (cpu, wall, out)
}

async fn latest(store: &LocalStore, monitor: &str) -> Execution {
    let mut all = Vec::new();
    for key in store
        .list(&format!("reports/{ENDPOINT}/{monitor}/"))
        .await
        .unwrap()
    {
        if key.ends_with("/execution.json") {
            all.push(serde_json::from_slice::<Execution>(&store.get(&key).await.unwrap()).unwrap());
        }
    }
    all.sort_by_key(|e| e.window_end);
    all.pop().expect("a window")
}

/// Adds copies of the first numeric features until the window has `n` features.
fn pad_to(inputs: &mut monitor_core::report::WindowInputs, n: usize) {
    let KindFiles::DataQuality {
        window: Some(w),
        baseline: Some(b),
        ..
    } = &mut inputs.files
    else {
        panic!("a data-quality window with its baseline");
    };
    let mut i = 0;
    while w.features.len() < n {
        let mut fw = w.features[i].clone();
        let mut fb = b.features[i].clone();
        let name = format!("{}_copy", fw.name);
        fw.name.clone_from(&name);
        fb.name.clone_from(&name);
        w.features.push(fw);
        b.features.push(fb);
        for e in inputs.history.iter_mut().chain([&mut inputs.exec]) {
            let d = e.drift.get(i).map_or(0.0, |d| d.distance);
            e.drift.push(FeatureDrift {
                feature: name.clone(),
                distance: d,
                violated: false,
                ..FeatureDrift::default()
            });
        }
        i += 1;
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("modelwatch-report-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = LocalStore::new(&dir);
    let t = Instant::now();
    rt.block_on(run_scenario(&store, &Scenario::new(42), false))
        .unwrap();
    eprintln!("demo scenario in {:.1?}", t.elapsed());

    println!("| page | features | size | load wall ms | render CPU ms | render wall ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (monitor, pad) in [
        (MONITOR, Some(20)),
        (MQ_MONITOR, None),
        (BIAS_MONITOR, None),
        (XAI_MONITOR, None),
    ] {
        let exec = rt.block_on(latest(&store, monitor));
        let (_, load, mut inputs) = measure(|| rt.block_on(load_window(&store, &exec)).unwrap());
        if let Some(n) = pad {
            pad_to(&mut inputs, n);
        }
        let features = match &inputs.files {
            KindFiles::DataQuality {
                window: Some(w), ..
            } => w.features.len().to_string(),
            _ => "–".into(),
        };
        let (cpu, wall, html) = measure(|| render_window(&inputs));
        println!(
            "| {monitor} window report | {features} | {:.1} KB | {load:.2} | {cpu:.2} | {wall:.2} |",
            html.len() as f64 / 1024.0
        );
    }
    let (_, load, inputs) = measure(|| rt.block_on(load_dashboard(&store)).unwrap());
    let (cpu, wall, html) = measure(|| render_dashboard(&inputs));
    println!(
        "| dashboard ({} monitors) | – | {:.1} KB | {load:.2} | {cpu:.2} | {wall:.2} |",
        inputs.monitors.len(),
        html.len() as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
