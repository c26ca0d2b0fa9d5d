//! Zero-knowledge core of medshare's supervisory sharing mechanism (seed 000 §IV, Algorithms 1-5).
