import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useState } from 'react';
import { ApiError } from '../api/errors';
import { GeometryEditor, type Shapes } from './GeometryEditor';

afterEach(cleanup);

/** The editor with its state, exposing the latest shapes. */
function Harness({ initial, error = null, out }: { initial: Shapes; error?: unknown; out: { shapes: Shapes } }) {
  const [shapes, setShapes] = useState(initial);
  out.shapes = shapes;
  return <GeometryEditor imageUrl={null} {...shapes} onChange={setShapes} readOnly={false} error={error} />;
}

function canvas(): SVGSVGElement {
  const svg = screen.getByTestId('geometry-canvas') as unknown as SVGSVGElement;
  // jsdom has no layout: the editor measures a 640x360 default; place the image at (0, 0).
  svg.getBoundingClientRect = () => ({ left: 0, top: 0, width: 640, height: 360, right: 640, bottom: 360, x: 0, y: 0, toJSON: () => ({}) });
  return svg;
}

const at = (x: number, y: number) => ({ clientX: x, clientY: y, button: 0, pointerId: 1 });

describe('GeometryEditor', () => {
  it('adds a line with two clicks, "in" on the left by default', () => {
    const out = { shapes: { lines: [], zones: [] } as Shapes };
    render(<Harness initial={out.shapes} out={out} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add line' }));
    const svg = canvas();
    fireEvent.pointerDown(svg, at(64, 180));
    fireEvent.pointerDown(svg, at(576, 180));
    expect(out.shapes.lines).toEqual([{ name: 'line 1', start: { x: 0.1, y: 0.5 }, end: { x: 0.9, y: 0.5 }, in: 'left' }]);
    expect(screen.getByLabelText('start x')).toHaveProperty('value', '0.1');
  });

  it('adds a zone by clicking corners and closing on the first one', () => {
    const out = { shapes: { lines: [], zones: [] } as Shapes };
    render(<Harness initial={out.shapes} out={out} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add zone' }));
    const svg = canvas();
    for (const [x, y] of [[64, 36], [320, 36], [320, 180], [64, 36]] as const) fireEvent.pointerDown(svg, at(x, y));
    expect(out.shapes.zones).toEqual([{ name: 'zone 1', polygon: [{ x: 0.1, y: 0.1 }, { x: 0.5, y: 0.1 }, { x: 0.5, y: 0.5 }] }]);
  });

  it('drags a point and nudges a focused one with the arrow keys', () => {
    const out = { shapes: { lines: [{ name: 'exit', start: { x: 0.5, y: 0.2 }, end: { x: 0.5, y: 0.8 }, in: 'right' as const }], zones: [] } };
    render(<Harness initial={out.shapes} out={out} />);
    const svg = canvas();
    svg.setPointerCapture = () => undefined;
    fireEvent.pointerDown(svg, at(320, 72));
    fireEvent.pointerMove(svg, at(160, 36));
    fireEvent.pointerUp(svg, at(160, 36));
    expect(out.shapes.lines[0]!.start).toEqual({ x: 0.25, y: 0.1 });
    const handle = screen.getByRole('button', { name: /Line exit end/ });
    act(() => handle.focus());
    fireEvent.keyDown(handle, { key: 'ArrowRight' });
    expect(out.shapes.lines[0]!.end).toEqual({ x: 0.505, y: 0.8 });
  });

  it('shows an API validation error next to the line it names', () => {
    const out = { shapes: { lines: [{ name: 'a', start: { x: 0.1, y: 0.1 }, end: { x: 0.1, y: 0.1 }, in: 'left' as const }], zones: [] } };
    const error = new ApiError(422, { code: 'invalid', field: 'lines[0].end', message: 'must differ from start' });
    render(<Harness initial={out.shapes} out={out} error={error} />);
    expect(screen.getByTestId('line-0').textContent).toContain('must differ from start');
  });
});
