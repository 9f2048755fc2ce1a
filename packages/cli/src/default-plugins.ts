import type { ContainerModule } from 'inversify';
import badnets from '@qcb/attack-badnets';
import compartifact from '@qcb/attack-compartifact';
import pqbackdoor from '@qcb/attack-pqbackdoor';
import quAntiZation from '@qcb/attack-qu-anti-zation';
import lac from '@qcb/defense-lac';
import ft from '@qcb/defense-ft';
import ftSam from '@qcb/defense-ft-sam';
import nad from '@qcb/defense-nad';
import finePruning from '@qcb/defense-fine-pruning';
import mcr from '@qcb/defense-mcr';
import ibau from '@qcb/defense-ibau';
import efrap from '@qcb/defense-efrap';
import pda from '@qcb/pda';
import equalize from '@qcb/equalize';
import academicW4a4 from '@qcb/quantizer-academic-w4a4';
import academicW8a8 from '@qcb/quantizer-academic-w8a8';
import pytorchFbgemm from '@qcb/quantizer-pytorch-fbgemm';
import pytorchQnnpack from '@qcb/quantizer-pytorch-qnnpack';
import tfliteInt8 from '@qcb/quantizer-tflite-int8';

/** The plugin packages the qcb command loads before the user's own. */
export const DEFAULT_PLUGINS: readonly ContainerModule[] = [
  academicW4a4, academicW8a8, tfliteInt8, pytorchFbgemm, pytorchQnnpack,
  compartifact, quAntiZation, pqbackdoor, badnets,
  lac, ft, ftSam, nad, finePruning, mcr, ibau, efrap, pda, equalize,
];
