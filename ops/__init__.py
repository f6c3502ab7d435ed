"""Operations endpoints: liveness, readiness (and what an operator must look at)."""
