// A detected face: its box, the detector's confidence, and the 68 landmarks of dlib's model
// (iBUG 300-W order) when they were asked for.
#pragma once
#include <array>
#include <vector>

namespace vgg2 {

struct DetectedFace {
  float x = 0, y = 0, width = 0, height = 0;
  float score = 0;
  std::vector<float> landmarks;  // 68 x (x, y), empty without a landmark model
};

// The 5 points the alignment uses (left eye, right eye, nose tip, left and right mouth corners, as
// in lib/data/align.ts) from the 68: the eyes' centres (points 36-41 and 42-47), point 30, 48, 54.
// "Left" is the image's left.
std::array<float, 10> FivePoints(const std::vector<float>& landmarks68);

}  // namespace vgg2
