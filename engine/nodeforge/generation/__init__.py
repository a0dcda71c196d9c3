"""The generation floor: contract -> needs -> retrieve -> adapt -> render -> write -> verify."""
