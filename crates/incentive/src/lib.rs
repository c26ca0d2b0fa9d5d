//! Incentive mechanisms: MDA valorization (seed 000 §V) and Shapley revenue sharing (seed 003 ch. 7).
