"""Editorial workflow: answers become articles through review by the medical advisory board."""
