//! Test-file evaluations: the scores of a sweep's best trial on its held-out test file.

use super::*;

impl Store {
    /// Record a trial's scores on a test file (replacing earlier scores of that pair).
    pub fn record_evaluation(
        &mut self,
        trial: TrialId,
        test_path: &Path,
        evaluation: &Evaluation,
    ) -> Result<(), StoreError> {
        let subsets = serde_json::to_string(&evaluation.subsets)
            .map_err(|e| StoreError::Encode(e.to_string()))?;
        let all = &evaluation.all;
        self.conn.execute(
            "INSERT INTO evaluations (trial_id, test_path, n, pearson_r, pearson_r2, r2,
                 spearman, mse, subsets, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, utc_now())
             ON CONFLICT (trial_id, test_path) DO UPDATE SET n = excluded.n,
                 pearson_r = excluded.pearson_r, pearson_r2 = excluded.pearson_r2,
                 r2 = excluded.r2, spearman = excluded.spearman, mse = excluded.mse,
                 subsets = excluded.subsets, created_at = excluded.created_at",
            params![
                trial.0,
                test_path.to_string_lossy().into_owned(),
                all.n,
                finite(all.pearson_r),
                finite(all.pearson_r2),
                finite(all.r2),
                finite(all.spearman),
                finite(all.mse),
                subsets
            ],
        )?;
        Ok(())
    }

    /// Every test evaluation of a sweep's trials, oldest first.
    pub fn evaluations(&self, sweep: SweepId) -> Result<Vec<TestEvaluation>, StoreError> {
        self.conn
            .query(
                "SELECT t.number, e.test_path, e.n, e.pearson_r, e.pearson_r2, e.r2, e.spearman,
                        e.mse, e.subsets, e.created_at
                 FROM evaluations e JOIN trials t ON t.id = e.trial_id
                 WHERE t.sweep_id = ?1 ORDER BY e.id",
                params![sweep.0],
            )?
            .iter()
            .map(|r| {
                Ok(TestEvaluation {
                    trial: r.count(0)?,
                    test_path: PathBuf::from(r.text(1)?),
                    evaluation: Evaluation {
                        all: Scores {
                            n: r.count(2)?,
                            pearson_r: r.real_or_nan(3)?,
                            pearson_r2: r.real_or_nan(4)?,
                            r2: r.real_or_nan(5)?,
                            spearman: r.real_or_nan(6)?,
                            mse: r.real_or_nan(7)?,
                        },
                        subsets: subsets_from_json(&r.text(8)?)
                            .map_err(|message| StoreError::Corrupt { column: 8, message })?,
                    },
                    created_at: r.text(9)?,
                })
            })
            .collect()
    }
}

/// Per-subset scores from their JSON (where a figure that is not a number is null).
fn subsets_from_json(text: &str) -> Result<std::collections::BTreeMap<String, Scores>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let object = value.as_object().ok_or("subsets are not a JSON object")?;
    let figure = |s: &serde_json::Value, key: &str| s[key].as_f64().unwrap_or(f64::NAN);
    Ok(object
        .iter()
        .map(|(name, s)| {
            let scores = Scores {
                pearson_r: figure(s, "pearson_r"),
                pearson_r2: figure(s, "pearson_r2"),
                r2: figure(s, "r2"),
                spearman: figure(s, "spearman"),
                mse: figure(s, "mse"),
                n: s["n"].as_u64().unwrap_or(0) as usize,
            };
            (name.clone(), scores)
        })
        .collect())
}
