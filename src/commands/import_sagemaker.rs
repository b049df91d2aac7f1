//! `modelwatch import-sagemaker`: SageMaker monitoring schedules and job definitions (the
//! JSON the AWS CLI's `describe-*` commands print) into `config/monitors/*.json`, with a
//! report of what is not carried over ([`modelwatch::import`]).

use std::path::PathBuf;

use anyhow::Context;
use modelwatch::import::{import, parse_documents};

/// Arguments of `modelwatch import-sagemaker`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files holding the output of `aws sagemaker describe-monitoring-schedule` or
    /// `describe-{data-quality,model-quality,model-bias,model-explainability}-job-definition`
    /// (one document, or a JSON array of them).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Where the monitor configurations are written, one `{name}.json` each.
    #[arg(long, default_value = "config/monitors")]
    out: PathBuf,
}

/// Runs the command: writes the configurations and prints the report.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut docs = Vec::new();
    for f in &args.files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        docs.extend(parse_documents(&f.display().to_string(), &bytes)?);
    }
    let outcome = import(&docs);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    for (name, config) in &outcome.configs {
        let p = args.out.join(format!("{name}.json"));
        let mut body = serde_json::to_vec_pretty(config)?;
        body.push(b'\n');
        std::fs::write(&p, body).with_context(|| format!("cannot write {}", p.display()))?;
        println!("wrote {}", p.display());
    }
    if outcome.notes.is_empty() {
        println!("everything was carried over");
    } else {
        println!(
            "not carried over as SageMaker ran it ({}):",
            outcome.notes.len()
        );
        for n in &outcome.notes {
            println!("  {n}");
        }
    }
    Ok(())
}
