"""Early stopping: the trials' curves (`curves`), Algorithm 1 simulated at equal budgets
(`simulation`, its fast path `kernel`), the rank correlation between evaluation points
(`correlation`), and live early stopping in the workflow (`live`)."""
