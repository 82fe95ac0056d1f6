"""YOLOX-Nano on onnxruntime the way a Python user would write it (shared by the peers).

Pre- and post-processing follow the YOLOX repository exactly (yolox/data/data_augment.py
`preproc` and yolox/utils/demo_utils.py `demo_postprocess`):
* letterbox: scale r = min(416/h, 416/w), cv2.resize (INTER_LINEAR) to (int(w*r), int(h*r)),
  placed at the top-left of a 416x416 canvas filled with 114; BGR, float32 0..255, CHW,
  no mean/std;
* decode: for strides 8, 16, 32 over 52x52, 26x26, 13x13 grids,
  cx,cy = (out + grid) * stride, w,h = exp(out) * stride; score = objectness * class score;
* person (class 0) only, score >= conf, NMS IoU 0.45 (cv2.dnn.NMSBoxes), boxes scaled back
  by 1/r to frame pixels.
"""

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

INPUT_SIZE = 416
STRIDES = (8, 16, 32)
PERSON = 0
NMS_IOU = 0.45
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO_ROOT.parent / "shared" / "models" / "yolox_nano.onnx"
DEFAULT_VIDEO = REPO_ROOT.parent / "shared" / "data" / "one-by-one-person-detection.mp4"


def make_session(model_path, threads: int = 1) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(model_path), sess_options=so, providers=["CPUExecutionProvider"])


def preprocess(img: np.ndarray, size: int = INPUT_SIZE):
    """BGR uint8 HxWx3 -> (float32 [1,3,size,size], ratio r)."""
    padded = np.full((size, size, 3), 114, dtype=np.uint8)
    r = min(size / img.shape[0], size / img.shape[1])
    resized = cv2.resize(
        img, (int(img.shape[1] * r), int(img.shape[0] * r)), interpolation=cv2.INTER_LINEAR
    ).astype(np.uint8)
    padded[: resized.shape[0], : resized.shape[1]] = resized
    chw = np.ascontiguousarray(padded.transpose(2, 0, 1), dtype=np.float32)
    return chw[None], r


def _grids(size: int = INPUT_SIZE):
    grids, strides = [], []
    for stride in STRIDES:
        n = size // stride
        xv, yv = np.meshgrid(np.arange(n), np.arange(n))
        grids.append(np.stack((xv, yv), 2).reshape(-1, 2))
        strides.append(np.full((n * n, 1), stride))
    return np.concatenate(grids).astype(np.float32), np.concatenate(strides).astype(np.float32)


GRIDS, GRID_STRIDES = _grids()


def postprocess(output: np.ndarray, r: float, conf: float, nms_iou: float = NMS_IOU):
    """[1,3549,85] raw output -> (xyxy float32 [N,4] in frame pixels, scores float32 [N])."""
    out = output[0]
    scores = out[:, 4] * out[:, 5 + PERSON]
    keep = scores >= conf
    if not np.any(keep):
        return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
    o, s = out[keep], scores[keep]
    g, st = GRIDS[keep], GRID_STRIDES[keep]
    cxcy = (o[:, :2] + g) * st
    wh = np.exp(o[:, 2:4]) * st
    xyxy = np.concatenate((cxcy - wh / 2, cxcy + wh / 2), axis=1) / r
    xywh = np.concatenate((xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]), axis=1)
    idx = cv2.dnn.NMSBoxes(xywh.tolist(), s.tolist(), conf, nms_iou)
    idx = np.asarray(idx, dtype=int).reshape(-1)
    return xyxy[idx].astype(np.float32), s[idx].astype(np.float32)
