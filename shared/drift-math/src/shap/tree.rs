//! Exact path-dependent TreeSHAP for tree ensembles (Lundberg, Erion & Lee 2018, "Consistent
//! Individualized Feature Attribution for Tree Ensembles", arXiv:1802.03888, Algorithm 2),
//! and a reader of XGBoost's JSON model (`booster.save_model("model.json")`).
//!
//! Path-dependent TreeSHAP explains the model's raw output (for XGBoost the margin, the
//! log-odds of `binary:logistic`) with the conditional expectation `E[f(x) | x_S]` estimated
//! from the trees themselves: a feature not in `S` follows both children of a split, each
//! weighted by its share of the training cover. No background data is needed, and the
//! values satisfy local accuracy: `Σ φ_j = f(x) − E[f]`, with `E[f]` the cover-weighted mean
//! of the leaves ([`TreeEnsemble::expected_value`]). This is what the `shap` package's
//! `TreeExplainer(booster)` computes (`feature_perturbation="tree_path_dependent"`).
//!
//! ```
//! use drift_math::shap::{Tree, TreeEnsemble, TreeNode};
//! // one split on x0 < 0.5 with covers 3 (left) and 1 (right)
//! let tree = Tree::new(vec![
//!     TreeNode::Split { feature: 0, threshold: 0.5, left: 1, right: 2, default_left: true, cover: 4.0 },
//!     TreeNode::Leaf { value: -1.0, cover: 3.0 },
//!     TreeNode::Leaf { value: 2.0, cover: 1.0 },
//! ])?;
//! let model = TreeEnsemble::new(vec![tree], 0.0, 2)?;
//! // E[f] = (3·(−1) + 1·2)/4 = −0.25; x0 = 1 → f = 2, all of it due to x0
//! assert_eq!(model.expected_value(), -0.25);
//! assert_eq!(model.explain(&[1.0, 7.0])?, vec![2.25, 0.0]);
//! # Ok::<(), drift_math::shap::ShapError>(())
//! ```

use super::ShapError;

/// One node of a [`Tree`], children by index into the tree's node list.
#[derive(Debug, Clone, PartialEq)]
pub enum TreeNode {
    /// `x[feature] < threshold` (compared as `f32`, as XGBoost does) goes left; a missing
    /// value (NaN) goes left when `default_left`.
    Split {
        /// feature index
        feature: usize,
        /// split value
        threshold: f32,
        /// node index of the `<` side
        left: usize,
        /// node index of the `≥` side
        right: usize,
        /// where a missing value goes
        default_left: bool,
        /// training cover (XGBoost's `sum_hessian`), > 0
        cover: f64,
    },
    /// A leaf's output.
    Leaf {
        /// the leaf value added to the margin
        value: f64,
        /// training cover
        cover: f64,
    },
}

impl TreeNode {
    fn cover(&self) -> f64 {
        match self {
            TreeNode::Split { cover, .. } | TreeNode::Leaf { cover, .. } => *cover,
        }
    }
}

/// A decision tree, validated: node 0 is the root, every node is reached at most once.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    nodes: Vec<TreeNode>,
    depth: usize,
}

fn tree_err(message: String) -> ShapError {
    ShapError::TreeModel(message)
}

impl Tree {
    /// A tree of `nodes` (root first).
    ///
    /// # Errors
    /// [`ShapError::TreeModel`] naming the node for an empty tree, a child index out of
    /// range, a node reached twice (a cycle or a shared child), or a split whose cover is
    /// not positive and finite.
    pub fn new(nodes: Vec<TreeNode>) -> Result<Self, ShapError> {
        if nodes.is_empty() {
            return Err(tree_err("a tree needs at least one node".into()));
        }
        let mut seen = vec![false; nodes.len()];
        let mut stack = vec![(0usize, 0usize)];
        let mut depth = 0;
        while let Some((i, d)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                return Err(tree_err(format!("node {i} is reached twice")));
            }
            depth = depth.max(d);
            if let TreeNode::Split {
                left, right, cover, ..
            } = &nodes[i]
            {
                if !(cover.is_finite() && *cover > 0.0) {
                    return Err(tree_err(format!("split node {i} has cover {cover}")));
                }
                for c in [*left, *right] {
                    if c >= nodes.len() {
                        return Err(tree_err(format!(
                            "node {i} has child {c}, but the tree has {} nodes",
                            nodes.len()
                        )));
                    }
                    stack.push((c, d + 1));
                }
            }
        }
        Ok(Tree { nodes, depth })
    }

    /// The nodes, root first.
    #[must_use]
    pub fn nodes(&self) -> &[TreeNode] {
        &self.nodes
    }

    fn leaf_of(&self, x: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            match &self.nodes[i] {
                TreeNode::Leaf { value, .. } => return *value,
                split @ TreeNode::Split { .. } => i = hot_child(split, x).0,
            }
        }
    }

    /// Cover-weighted mean of the leaves: each split's value is its children's, weighted
    /// by `cover(child) / cover(split)`, the weights TreeSHAP gives an absent feature, so
    /// that `Σ φ = f(x) − E[f]` holds exactly. (XGBoost's `float32` covers of two children
    /// may differ from their parent's by a few ulps; shap's `compute_expectations`
    /// normalises by the children's sum instead, a difference of that order.)
    fn expectation(&self, i: usize) -> f64 {
        match &self.nodes[i] {
            TreeNode::Leaf { value, .. } => *value,
            TreeNode::Split {
                left, right, cover, ..
            } => {
                (self.nodes[*left].cover() * self.expectation(*left)
                    + self.nodes[*right].cover() * self.expectation(*right))
                    / cover
            }
        }
    }
}

/// The child `x` follows at `split`, and the other one.
fn hot_child(split: &TreeNode, x: &[f64]) -> (usize, usize) {
    let TreeNode::Split {
        feature,
        threshold,
        left,
        right,
        default_left,
        ..
    } = split
    else {
        return (0, 0);
    };
    let v = x[*feature];
    #[allow(clippy::cast_possible_truncation)]
    let go_left = if v.is_nan() {
        *default_left
    } else {
        (v as f32) < *threshold
    };
    if go_left {
        (*left, *right)
    } else {
        (*right, *left)
    }
}

/// One element of the unique path (Algorithm 2's `m`): a feature, the fraction of "zero"
/// paths (feature not in S) and "one" paths (feature in S) flowing through it, and the
/// permutation weight.
#[derive(Debug, Clone, Copy)]
struct PathElem {
    /// feature index; `usize::MAX` for the root's dummy element
    feature: usize,
    zero: f64,
    one: f64,
    weight: f64,
}

/// Algorithm 2's EXTEND: adds a feature with fractions `zero` / `one` to the path and
/// updates the permutation weights of every subset size.
fn extend(path: &mut Vec<PathElem>, zero: f64, one: f64, feature: usize) {
    let l = path.len();
    path.push(PathElem {
        feature,
        zero,
        one,
        weight: if l == 0 { 1.0 } else { 0.0 },
    });
    #[allow(clippy::cast_precision_loss)]
    let lf = l as f64;
    for i in (0..l).rev() {
        #[allow(clippy::cast_precision_loss)]
        let fi = i as f64;
        path[i + 1].weight += one * path[i].weight * (fi + 1.0) / (lf + 1.0);
        path[i].weight = zero * path[i].weight * (lf - fi) / (lf + 1.0);
    }
}

/// Algorithm 2's UNWIND: removes element `k` from the path, undoing its EXTEND.
fn unwind(path: &mut Vec<PathElem>, k: usize) {
    let l = path.len() - 1;
    let PathElem { zero, one, .. } = path[k];
    let mut next = path[l].weight;
    #[allow(clippy::cast_precision_loss)]
    let lf = l as f64;
    for j in (0..l).rev() {
        #[allow(clippy::cast_precision_loss)]
        let fj = j as f64;
        if one != 0.0 {
            let t = path[j].weight;
            path[j].weight = next * (lf + 1.0) / ((fj + 1.0) * one);
            next = t - path[j].weight * zero * (lf - fj) / (lf + 1.0);
        } else {
            path[j].weight = path[j].weight * (lf + 1.0) / (zero * (lf - fj));
        }
    }
    for j in k..l {
        path[j].feature = path[j + 1].feature;
        path[j].zero = path[j + 1].zero;
        path[j].one = path[j + 1].one;
    }
    path.pop();
}

/// `Σ_j w_j` of the path after UNWIND(k), without changing the path.
fn unwound_sum(path: &[PathElem], k: usize) -> f64 {
    let l = path.len() - 1;
    let PathElem { zero, one, .. } = path[k];
    let mut next = path[l].weight;
    let mut total = 0.0;
    #[allow(clippy::cast_precision_loss)]
    let lf = l as f64;
    for j in (0..l).rev() {
        #[allow(clippy::cast_precision_loss)]
        let fj = j as f64;
        if one != 0.0 {
            let t = next * (lf + 1.0) / ((fj + 1.0) * one);
            total += t;
            next = path[j].weight - t * zero * (lf - fj) / (lf + 1.0);
        } else if zero != 0.0 {
            total += path[j].weight / zero / ((lf - fj) / (lf + 1.0));
        }
    }
    total
}

/// Algorithm 2's RECURSE at node `i` with the parent's path and the fractions of the
/// feature that led here.
fn recurse(
    tree: &Tree,
    x: &[f64],
    phi: &mut [f64],
    i: usize,
    parent: &[PathElem],
    (zero, one, feature): (f64, f64, usize),
) {
    let mut path = Vec::with_capacity(tree.depth + 2);
    path.extend_from_slice(parent);
    extend(&mut path, zero, one, feature);
    match &tree.nodes[i] {
        TreeNode::Leaf { value, .. } => {
            for k in 1..path.len() {
                let w = unwound_sum(&path, k);
                let e = path[k];
                phi[e.feature] += w * (e.one - e.zero) * value;
            }
        }
        split @ TreeNode::Split {
            feature: d, cover, ..
        } => {
            let (hot, cold) = hot_child(split, x);
            let (mut in_zero, mut in_one) = (1.0, 1.0);
            // a feature met twice on a path: undo its first split, carry its fractions
            if let Some(k) = path.iter().position(|e| e.feature == *d) {
                in_zero = path[k].zero;
                in_one = path[k].one;
                unwind(&mut path, k);
            }
            let hot_zero = tree.nodes[hot].cover() / cover;
            let cold_zero = tree.nodes[cold].cover() / cover;
            recurse(tree, x, phi, hot, &path, (in_zero * hot_zero, in_one, *d));
            recurse(tree, x, phi, cold, &path, (in_zero * cold_zero, 0.0, *d));
        }
    }
}

/// A sum of trees plus a base margin: XGBoost's raw output `base + Σ_t tree_t(x)`.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeEnsemble {
    trees: Vec<Tree>,
    base_margin: f64,
    num_features: usize,
}

impl TreeEnsemble {
    /// An ensemble over `num_features` features.
    ///
    /// # Errors
    /// [`ShapError::Empty`] without trees; [`ShapError::TreeModel`] for a split on a feature
    /// `≥ num_features` or a non-finite base margin.
    pub fn new(trees: Vec<Tree>, base_margin: f64, num_features: usize) -> Result<Self, ShapError> {
        if trees.is_empty() {
            return Err(ShapError::Empty("trees"));
        }
        if !base_margin.is_finite() {
            return Err(tree_err(format!("base margin {base_margin} is not finite")));
        }
        for (t, tree) in trees.iter().enumerate() {
            for (i, n) in tree.nodes.iter().enumerate() {
                if let TreeNode::Split { feature, .. } = n {
                    if *feature >= num_features {
                        return Err(tree_err(format!(
                            "tree {t} node {i} splits on feature {feature}, but the model has \
                             {num_features} features"
                        )));
                    }
                }
            }
        }
        Ok(TreeEnsemble {
            trees,
            base_margin,
            num_features,
        })
    }

    /// Number of input features.
    #[must_use]
    pub fn num_features(&self) -> usize {
        self.num_features
    }

    /// The trees.
    #[must_use]
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// The base margin added to the trees' sum.
    #[must_use]
    pub fn base_margin(&self) -> f64 {
        self.base_margin
    }

    fn check(&self, x: &[f64]) -> Result<(), ShapError> {
        if x.len() != self.num_features {
            return Err(ShapError::Length {
                what: "record",
                expected: self.num_features,
                got: x.len(),
            });
        }
        if let Some(index) = x.iter().position(|v| v.is_infinite()) {
            return Err(ShapError::NonFinite {
                what: "record",
                index,
                value: x[index],
            });
        }
        Ok(())
    }

    /// The raw output (margin) for `x`; NaN is a missing value.
    ///
    /// # Errors
    /// [`ShapError::Length`] for a record of the wrong length, [`ShapError::NonFinite`]
    /// for an infinite value.
    pub fn predict_margin(&self, x: &[f64]) -> Result<f64, ShapError> {
        self.check(x)?;
        Ok(self.base_margin + self.trees.iter().map(|t| t.leaf_of(x)).sum::<f64>())
    }

    /// `E[f]`: the base margin plus each tree's cover-weighted mean leaf value (shap's
    /// `expected_value`).
    #[must_use]
    pub fn expected_value(&self) -> f64 {
        self.base_margin + self.trees.iter().map(|t| t.expectation(0)).sum::<f64>()
    }

    /// Path-dependent TreeSHAP values of `x` (one per feature; NaN is a missing value):
    /// `Σ φ_j = predict_margin(x) − expected_value()`.
    ///
    /// # Errors
    /// As [`TreeEnsemble::predict_margin`].
    pub fn explain(&self, x: &[f64]) -> Result<Vec<f64>, ShapError> {
        self.check(x)?;
        // the dummy root element has no feature: give it a slot past the real ones
        let mut phi = vec![0.0; self.num_features + 1];
        for tree in &self.trees {
            recurse(tree, x, &mut phi, 0, &[], (1.0, 1.0, self.num_features));
        }
        phi.truncate(self.num_features);
        Ok(phi)
    }
}

#[cfg(feature = "serde")]
mod xgboost;

#[cfg(feature = "serde")]
pub use xgboost::XGBOOST_OBJECTIVES;

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact Shapley values of `f(S) = E[tree | x_S]` (path-dependent conditional
    /// expectation) by enumerating every subset: the definition TreeSHAP computes fast.
    fn brute_force(model: &TreeEnsemble, x: &[f64]) -> Vec<f64> {
        fn cond(tree: &Tree, i: usize, x: &[f64], s: u32) -> f64 {
            match &tree.nodes[i] {
                TreeNode::Leaf { value, .. } => *value,
                split @ TreeNode::Split {
                    feature,
                    left,
                    right,
                    cover,
                    ..
                } => {
                    if s & (1 << feature) != 0 {
                        cond(tree, hot_child(split, x).0, x, s)
                    } else {
                        (tree.nodes[*left].cover() * cond(tree, *left, x, s)
                            + tree.nodes[*right].cover() * cond(tree, *right, x, s))
                            / cover
                    }
                }
            }
        }
        let m = model.num_features;
        let f = |s: u32| -> f64 { model.trees.iter().map(|t| cond(t, 0, x, s)).sum() };
        let fact = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
        (0..m)
            .map(|j| {
                let mut phi = 0.0;
                for s in 0u32..(1 << m) {
                    if s & (1 << j) != 0 {
                        continue;
                    }
                    let size = s.count_ones() as usize;
                    let w = fact(size) * fact(m - size - 1) / fact(m);
                    phi += w * (f(s | (1 << j)) - f(s));
                }
                phi
            })
            .collect()
    }

    fn split(feature: usize, threshold: f32, left: usize, right: usize, cover: f64) -> TreeNode {
        TreeNode::Split {
            feature,
            threshold,
            left,
            right,
            default_left: false,
            cover,
        }
    }

    fn leaf(value: f64, cover: f64) -> TreeNode {
        TreeNode::Leaf { value, cover }
    }

    #[test]
    fn matches_the_shapley_definition_with_a_repeated_feature() {
        // x0 is split on twice on one path (UNWIND), x2 never
        let t1 = Tree::new(vec![
            split(0, 0.5, 1, 2, 10.0),
            split(1, 1.0, 3, 4, 6.0),
            split(0, 2.0, 5, 6, 4.0),
            leaf(1.0, 2.0),
            split(0, -1.0, 7, 8, 4.0),
            leaf(-2.0, 1.0),
            leaf(3.0, 3.0),
            leaf(0.5, 1.0),
            leaf(-0.5, 3.0),
        ])
        .unwrap();
        let t2 = Tree::new(vec![
            split(1, 0.0, 1, 2, 10.0),
            leaf(0.25, 7.0),
            split(3, 0.0, 3, 4, 3.0),
            leaf(-1.5, 1.0),
            leaf(2.0, 2.0),
        ])
        .unwrap();
        let model = TreeEnsemble::new(vec![t1, t2], 0.1, 4).unwrap();
        for x in [
            [0.0, 2.0, 5.0, 1.0],
            [3.0, -1.0, 0.0, -1.0],
            [1.0, 0.5, 0.0, 0.0],
        ] {
            let phi = model.explain(&x).unwrap();
            let want = brute_force(&model, &x);
            for (a, b) in phi.iter().zip(&want) {
                assert!((a - b).abs() < 1e-12, "{phi:?} vs {want:?}");
            }
            let total: f64 = phi.iter().sum();
            let gap = model.predict_margin(&x).unwrap() - model.expected_value();
            assert!((total - gap).abs() < 1e-12);
            assert_eq!(phi[2], 0.0);
        }
    }

    #[test]
    fn constructors_name_what_is_wrong() {
        let e = Tree::new(vec![split(0, 0.0, 1, 5, 1.0), leaf(0.0, 1.0)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid tree model: node 0 has child 5, but the tree has 2 nodes"
        );
        let e = Tree::new(vec![split(0, 0.0, 1, 1, 1.0), leaf(0.0, 1.0)]).unwrap_err();
        assert!(e.to_string().contains("node 1 is reached twice"), "{e}");
        let t = Tree::new(vec![
            split(3, 0.0, 1, 2, 2.0),
            leaf(0.0, 1.0),
            leaf(1.0, 1.0),
        ])
        .unwrap();
        let e = TreeEnsemble::new(vec![t], 0.0, 2).unwrap_err();
        assert!(e.to_string().contains("feature 3"), "{e}");
    }
}
