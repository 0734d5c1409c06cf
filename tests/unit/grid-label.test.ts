import { describe, expect, it } from 'vitest';
import { gridLabelLines } from '../../geo/report/grid-label';

describe('grid names on the printed maps', () => {
  it('breaks a name after its community, as the live map wraps it', () => {
    expect(gridLabelLines('贤士社区第五网格')).toEqual(['贤士社区', '第五网格']);
    expect(gridLabelLines('南湖村第一网格')).toEqual(['南湖村', '第一网格']);
    expect(gridLabelLines('滕王阁居委会第二网格')).toEqual(['滕王阁居委会', '第二网格']);
  });

  it('keeps any other name on one line', () => {
    expect(gridLabelLines('Monaco-Ville')).toEqual(['Monaco-Ville']);
    expect(gridLabelLines('第三网格')).toEqual(['第三网格']);
    // A name that is only a community has nothing to put on a second line.
    expect(gridLabelLines('贤士社区')).toEqual(['贤士社区']);
  });
});
