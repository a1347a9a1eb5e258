//! Reading Arrow string columns through the Arrow C Data Interface, by hand.
//!
//! Input: the `(schema, array)` PyCapsule pair that `pyarrow.Array.__arrow_c_array__()` returns
//! for one chunk of a `string` or `large_string` column. Output: one [`Cell`] per row that
//! borrows the chunk's data buffer: no copy, no Python object per row.
//!
//! Why by hand: `pyo3-arrow` and the buffer protocol need Python 3.11 under the stable ABI, and
//! the `arrow` crate would add a minute of compile time for two structs and three buffers. The
//! structs below are the ABI-stable ones of the specification
//! (<https://arrow.apache.org/docs/format/CDataInterface.html>).

use std::ffi::{c_char, c_void, CStr};

use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// `struct ArrowSchema` of the C Data Interface.
#[repr(C)]
struct ArrowSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut ArrowSchema,
    dictionary: *mut ArrowSchema,
    release: Option<unsafe extern "C" fn(*mut ArrowSchema)>,
    private_data: *mut c_void,
}

/// `struct ArrowArray` of the C Data Interface.
#[repr(C)]
struct ArrowArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const c_void,
    children: *mut *mut ArrowArray,
    dictionary: *mut ArrowArray,
    release: Option<unsafe extern "C" fn(*mut ArrowArray)>,
    private_data: *mut c_void,
}

/// One row of a string column: null, or the bytes of the value (UTF-8 by Arrow's contract,
/// checked again when used).
pub type Cell<'a> = Option<&'a [u8]>;

/// The pointer a capsule holds, checked against its name.
fn capsule_ptr(obj: &Bound<'_, PyAny>, name: &CStr) -> PyResult<*mut c_void> {
    let cap = obj.cast::<PyCapsule>().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(format!(
            "expected an Arrow PyCapsule named {name:?}"
        ))
    })?;
    // SAFETY: `cap` is a live capsule; PyCapsule_GetPointer checks the name and sets an
    // exception (returned below) when it differs.
    let p = unsafe { pyo3::ffi::PyCapsule_GetPointer(cap.as_ptr(), name.as_ptr()) };
    if p.is_null() {
        return Err(PyErr::take(obj.py()).unwrap_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!("empty Arrow capsule {name:?}"))
        }));
    }
    Ok(p)
}

/// Append the rows of one string chunk, given as its `(schema, array)` capsules, to `out`.
///
/// # Errors
/// `ValueError` naming `column` when the chunk is not a `string` or `large_string` array.
///
/// # Safety
/// The returned borrows point into the capsules' buffers: the caller keeps `schema` and
/// `array` (and so the Arrow data) alive for `'a`.
pub unsafe fn read_strings<'a>(
    column: &str,
    schema: &Bound<'_, PyAny>,
    array: &Bound<'_, PyAny>,
    out: &mut Vec<Cell<'a>>,
) -> PyResult<()> {
    let s = capsule_ptr(schema, c"arrow_schema")? as *const ArrowSchema;
    let a = capsule_ptr(array, c"arrow_array")? as *const ArrowArray;
    // SAFETY: the capsules hold live, unreleased structs (pyarrow releases them in the
    // capsule destructor, which cannot run while we hold the capsule).
    let (s, a) = unsafe { (&*s, &*a) };
    let format = if s.format.is_null() {
        ""
    } else {
        // SAFETY: the format is a NUL-terminated string owned by the schema.
        unsafe { CStr::from_ptr(s.format) }.to_str().unwrap_or("")
    };
    let large = match format {
        "u" => false,
        "U" => true,
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "column {column:?} must hold strings (Arrow format \"u\" or \"U\"), not {other:?}"
            )))
        }
    };
    if a.n_buffers != 3 || a.buffers.is_null() || a.length < 0 || a.offset < 0 {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "column {column:?}: malformed Arrow string array"
        )));
    }
    let (len, off) = (a.length as usize, a.offset as usize);
    if len == 0 {
        return Ok(());
    }
    // SAFETY: a string array has three buffers: validity (may be null), offsets, data.
    let bufs = unsafe { std::slice::from_raw_parts(a.buffers, 3) };
    let validity = bufs[0] as *const u8;
    let data = bufs[2] as *const u8;
    let valid = |i: usize| -> bool {
        if validity.is_null() || a.null_count == 0 {
            return true;
        }
        let bit = off + i;
        // SAFETY: the validity bitmap holds at least offset + length bits.
        unsafe { *validity.add(bit / 8) & (1 << (bit % 8)) != 0 }
    };
    let bound = |i: usize| -> usize {
        // SAFETY: the offsets buffer holds offset + length + 1 entries.
        unsafe {
            if large {
                *(bufs[1] as *const i64).add(off + i) as usize
            } else {
                *(bufs[1] as *const i32).add(off + i) as usize
            }
        }
    };
    out.reserve(len);
    for i in 0..len {
        if !valid(i) {
            out.push(None);
            continue;
        }
        let (start, end) = (bound(i), bound(i + 1));
        if end < start {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "column {column:?}: malformed Arrow string offsets"
            )));
        }
        let bytes: &'a [u8] = if end == start {
            &[]
        } else {
            // SAFETY: offsets index the data buffer, which outlives 'a (see the contract).
            unsafe { std::slice::from_raw_parts(data.add(start), end - start) }
        };
        out.push(Some(bytes));
    }
    Ok(())
}
