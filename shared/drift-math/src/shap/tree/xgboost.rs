//! XGBoost's JSON model (`booster.save_model("model.json")`, schema of XGBoost 1.x–3.x)
//! → [`TreeEnsemble`].
//!
//! SageMaker's built-in XGBoost writes `xgboost-model` with `save_model` without an
//! extension (XGBoost's binary format up to 1.7, UBJSON from 2.x); the same model in JSON
//! is one line away: `xgboost.Booster(model_file="xgboost-model").save_model("model.json")`.
//!
//! Read: `learner.learner_model_param.base_score` (`"5E-1"` or, from 3.x, `"[5E-1]"`),
//! `learner.objective.name`, and the `gbtree` (or `dart`, leaves scaled by
//! `weight_drop`) trees' `left_children`, `right_children`, `split_indices`,
//! `split_conditions` (leaf values at leaves), `default_left` and `sum_hessian` (cover).
//! Categorical splits and `gblinear` are refused.

use serde::Deserialize;
use serde_json::Value;

use super::{Tree, TreeEnsemble, TreeNode};
use crate::shap::ShapError;

/// Objectives whose base score is read as a probability (margin `ln(p/(1−p))`), as a
/// positive mean (margin `ln(μ)`), or as the margin itself.
pub const XGBOOST_OBJECTIVES: [(&str, &str); 19] = [
    ("binary:logistic", "logit"),
    ("reg:logistic", "logit"),
    ("binary:logitraw", "logit"),
    ("binary:hinge", "identity"),
    ("count:poisson", "log"),
    ("reg:gamma", "log"),
    ("reg:tweedie", "log"),
    ("survival:cox", "log"),
    ("survival:aft", "log"),
    ("reg:squarederror", "identity"),
    ("reg:squaredlogerror", "identity"),
    ("reg:pseudohubererror", "identity"),
    ("reg:absoluteerror", "identity"),
    ("reg:quantileerror", "identity"),
    ("multi:softmax", "identity"),
    ("multi:softprob", "identity"),
    ("rank:pairwise", "identity"),
    ("rank:ndcg", "identity"),
    ("rank:map", "identity"),
];

#[derive(Deserialize)]
struct ModelFile {
    learner: Learner,
}

#[derive(Deserialize)]
struct Learner {
    learner_model_param: LearnerParam,
    objective: Objective,
    gradient_booster: Booster,
}

#[derive(Deserialize)]
struct LearnerParam {
    base_score: String,
    num_feature: String,
    #[serde(default)]
    num_class: Option<String>,
}

#[derive(Deserialize)]
struct Objective {
    name: String,
}

#[derive(Deserialize)]
struct Booster {
    name: String,
    #[serde(default)]
    model: Option<GbTree>,
    #[serde(default)]
    gbtree: Option<Box<Booster>>,
    #[serde(default)]
    weight_drop: Option<Vec<f64>>,
}

#[derive(Deserialize)]
struct GbTree {
    trees: Vec<JsonTree>,
    #[serde(default)]
    tree_info: Vec<i64>,
}

#[derive(Deserialize)]
struct JsonTree {
    left_children: Vec<i64>,
    right_children: Vec<i64>,
    split_indices: Vec<i64>,
    split_conditions: Vec<f64>,
    default_left: Vec<Value>,
    sum_hessian: Vec<f64>,
    #[serde(default)]
    split_type: Vec<i64>,
}

fn err(message: String) -> ShapError {
    ShapError::TreeModel(message)
}

fn parse_number(field: &str, s: &str) -> Result<f64, ShapError> {
    let t = s.trim().trim_start_matches('[').trim_end_matches(']');
    let first = t.split(',').next().unwrap_or_default().trim();
    first
        .parse::<f64>()
        .map_err(|_| err(format!("{field} = {s:?} is not a number")))
}

fn convert_tree(t: usize, j: &JsonTree, scale: f64) -> Result<Tree, ShapError> {
    let n = j.left_children.len();
    let lengths = [
        ("right_children", j.right_children.len()),
        ("split_indices", j.split_indices.len()),
        ("split_conditions", j.split_conditions.len()),
        ("default_left", j.default_left.len()),
        ("sum_hessian", j.sum_hessian.len()),
    ];
    if let Some((name, len)) = lengths.iter().find(|(_, len)| *len != n) {
        return Err(err(format!(
            "tree {t}: {name} has {len} entries, left_children {n}"
        )));
    }
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let cover = j.sum_hessian[i];
        if j.left_children[i] < 0 {
            nodes.push(TreeNode::Leaf {
                value: scale * j.split_conditions[i],
                cover,
            });
            continue;
        }
        if j.split_type.get(i).copied().unwrap_or(0) != 0 {
            return Err(err(format!(
                "tree {t} node {i} is a categorical split, which is not supported"
            )));
        }
        let index = |v: i64, what: &str| {
            usize::try_from(v).map_err(|_| err(format!("tree {t} node {i}: {what} {v}")))
        };
        let default_left = match &j.default_left[i] {
            Value::Bool(b) => *b,
            Value::Number(x) => x.as_i64() != Some(0),
            other => return Err(err(format!("tree {t} node {i}: default_left {other}"))),
        };
        #[allow(clippy::cast_possible_truncation)]
        nodes.push(TreeNode::Split {
            feature: index(j.split_indices[i], "split index")?,
            threshold: j.split_conditions[i] as f32,
            left: index(j.left_children[i], "left child")?,
            right: index(j.right_children[i], "right child")?,
            default_left,
            cover,
        });
    }
    Tree::new(nodes).map_err(|e| err(format!("tree {t}: {e}")))
}

impl TreeEnsemble {
    /// Reads XGBoost's JSON model; `output_group` picks the class of a multi-class model
    /// (the trees whose `tree_info` is that class; 0 otherwise). The base margin is the
    /// `base_score` through the objective's link ([`XGBOOST_OBJECTIVES`]).
    ///
    /// # Errors
    /// [`ShapError::TreeModel`] naming the field for malformed JSON, an unknown objective,
    /// a `gblinear` booster, a categorical split, an `output_group` with no trees, or an
    /// inconsistent tree.
    pub fn from_xgboost_json(bytes: &[u8], output_group: usize) -> Result<Self, ShapError> {
        let file: ModelFile = serde_json::from_slice(bytes).map_err(|e| {
            err(format!(
                "not an XGBoost JSON model (line {} column {}: {e})",
                e.line(),
                e.column()
            ))
        })?;
        let l = file.learner;
        let base = parse_number("base_score", &l.learner_model_param.base_score)?;
        let link = XGBOOST_OBJECTIVES
            .iter()
            .find(|(name, _)| *name == l.objective.name)
            .map(|(_, link)| *link)
            .ok_or_else(|| err(format!("objective {:?} is not supported", l.objective.name)))?;
        let base_margin = match link {
            "logit" => (base / (1.0 - base)).ln(),
            "log" => base.ln(),
            _ => base,
        };
        let num_features = parse_number("num_feature", &l.learner_model_param.num_feature)?;
        let num_class = match &l.learner_model_param.num_class {
            Some(s) => parse_number("num_class", s)?,
            None => 0.0,
        };
        if num_class <= 1.0 && output_group > 0 {
            return Err(err(format!(
                "output_group {output_group} of a single-output model"
            )));
        }
        let booster = &l.gradient_booster;
        let (gbtree, weights) = match booster.name.as_str() {
            "gbtree" => (booster.model.as_ref(), None),
            "dart" => (
                booster.gbtree.as_ref().and_then(|g| g.model.as_ref()),
                booster.weight_drop.as_ref(),
            ),
            other => return Err(err(format!("booster {other:?} is not a tree booster"))),
        };
        let gbtree = gbtree.ok_or_else(|| err("gradient_booster has no model".into()))?;
        let mut trees = Vec::new();
        for (t, jt) in gbtree.trees.iter().enumerate() {
            let group = gbtree.tree_info.get(t).copied().unwrap_or(0);
            if usize::try_from(group).ok() != Some(output_group) {
                continue;
            }
            let scale = weights.and_then(|w| w.get(t)).copied().unwrap_or(1.0);
            trees.push(convert_tree(t, jt, scale)?);
        }
        if trees.is_empty() {
            return Err(err(format!("no trees for output_group {output_group}")));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        TreeEnsemble::new(trees, base_margin, num_features as usize)
    }
}
