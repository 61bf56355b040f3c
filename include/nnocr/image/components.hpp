// components.hpp — connected components of the ink (pixels darker than a
// threshold) with 8-connectivity, by union-find over one raster pass.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "image.hpp"

namespace nnocr::image {

struct Box {
  int x = 0, y = 0, width = 0, height = 0;
};

struct Component {
  Box box;
  std::int64_t pixels = 0;
};

struct Components {
  std::vector<Component> items;   // in raster order of their first pixel
  std::vector<std::int32_t> labels;  // per pixel: index into items, or -1 for paper
};

// Components of the pixels with gray value < ink_below in a 1-channel image.
inline Components connected_components(const Image& gray, int ink_below = 128) {
  NNOCR_CHECK(!gray.empty() && gray.channels() == 1, "connected_components: needs a non-empty 1-channel image");
  const int w = gray.width(), h = gray.height();
  std::vector<std::int32_t> label(static_cast<std::size_t>(w) * h, -1);
  std::vector<std::int32_t> parent;
  auto find = [&](std::int32_t a) {
    while (parent[static_cast<std::size_t>(a)] != a) {
      parent[static_cast<std::size_t>(a)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(a)])];
      a = parent[static_cast<std::size_t>(a)];
    }
    return a;
  };
  auto unite = [&](std::int32_t a, std::int32_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[static_cast<std::size_t>(std::max(a, b))] = std::min(a, b);
  };
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      if (gray.at(x, y) >= ink_below) continue;
      std::int32_t mine = -1;
      // Already-visited 8-neighbours: left, and the three above.
      const int nx[4] = {x - 1, x - 1, x, x + 1}, ny[4] = {y, y - 1, y - 1, y - 1};
      for (int i = 0; i < 4; ++i) {
        if (nx[i] < 0 || nx[i] >= w || ny[i] < 0) continue;
        const std::int32_t l = label[static_cast<std::size_t>(ny[i]) * w + nx[i]];
        if (l < 0) continue;
        if (mine < 0)
          mine = l;
        else
          unite(mine, l);
      }
      if (mine < 0) {
        mine = static_cast<std::int32_t>(parent.size());
        parent.push_back(mine);
      }
      label[static_cast<std::size_t>(y) * w + x] = mine;
    }
  // Compact the roots to 0..n-1 in raster order and gather boxes.
  Components out;
  std::vector<std::int32_t> index(parent.size(), -1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::int32_t& l = label[static_cast<std::size_t>(y) * w + x];
      if (l < 0) continue;
      const std::int32_t root = find(l);
      if (index[static_cast<std::size_t>(root)] < 0) {
        index[static_cast<std::size_t>(root)] = static_cast<std::int32_t>(out.items.size());
        out.items.push_back({{x, y, 1, 1}, 0});
      }
      l = index[static_cast<std::size_t>(root)];
      Component& c = out.items[static_cast<std::size_t>(l)];
      const int x1 = std::max(c.box.x + c.box.width, x + 1), y1 = std::max(c.box.y + c.box.height, y + 1);
      c.box.x = std::min(c.box.x, x);
      c.box.y = std::min(c.box.y, y);
      c.box.width = x1 - c.box.x;
      c.box.height = y1 - c.box.y;
      ++c.pixels;
    }
  out.labels = std::move(label);
  return out;
}

}  // namespace nnocr::image
