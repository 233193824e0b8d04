"""S1 + R2 (+ xi) leptoquark model: flavour observables (Julio, Saad, Thapa 2022)."""
