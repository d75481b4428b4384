// Alignment: datasets and training loops that customise a causal language model —
// continued pretraining on packed raw text (CPT), with checkpoints that resume bit for bit.
// Built from the public pieces of Autograd (AdamW, schedules, clipping), Transformer (models,
// LoRA, saving) and Evaluation (MLflow tracking, plots), so a user's own loop can use them too.
