"""Text similarity that works on Russian and English: character n-grams hashed into a
fixed space (scikit-learn's HashingVectorizer, so nothing is fitted and an index grows one
row at a time), TF-IDF-like weighting by sublinear counts, cosine nearest neighbours.

vectors.py turns texts into rows; index.py keeps a process's in-memory index of stored
text examples, loaded incrementally by id; solved.py feeds it solved tickets and answers
"which solved tickets look like this one"; categories.py learns categories from agents.
scikit-learn is imported only when a text is first compared (start-up time matters).
"""
